/** Records core/v1 Events the way controllers and the kubelet do, and expires them after the event TTL. */
import { timestamp, type KubeObject } from './meta.js';
import type { Registry } from './registry.js';
import { resourceType, type ResourceType } from './resources/index.js';
import type { Timers } from './timers.js';

export interface EventSource {
  component: string;
  host?: string;
}

export interface Involved {
  type: ResourceType;
  object: KubeObject;
  /** A part of the object, e.g. `spec.containers{main}`. */
  fieldPath?: string;
}

const events = resourceType('events');

export class EventRecorder {
  private sequence = 0n;
  private readonly expiring: Array<{ namespace: string; name: string; at: number }> = [];
  private cancelExpiry?: () => void;

  constructor(
    private readonly registry: Registry,
    private readonly timers: Timers,
    private readonly ttlMs: () => number,
  ) {}

  record(involved: Involved, type: 'Normal' | 'Warning', reason: string, message: string, source: EventSource): void {
    const { metadata } = involved.object;
    const now = Date.now();
    // Event names are `<object>.<unix nanoseconds in hex>` in Kubernetes; the sequence keeps them unique.
    const nanos = BigInt(now) * 1_000_000n + (this.sequence++ % 1_000_000n);
    const namespace = metadata.namespace ?? 'default';
    const event = {
      metadata: { name: `${metadata.name}.${nanos.toString(16)}`, namespace },
      involvedObject: {
        kind: involved.type.kind,
        namespace: metadata.namespace,
        name: metadata.name,
        uid: metadata.uid,
        apiVersion: involved.type.apiVersion,
        resourceVersion: metadata.resourceVersion,
        ...(involved.fieldPath ? { fieldPath: involved.fieldPath } : {}),
      },
      reason,
      message,
      source: { ...source },
      firstTimestamp: timestamp(now),
      lastTimestamp: timestamp(now),
      count: 1,
      type,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? '',
    };
    try {
      this.registry.create(events, namespace, event);
    } catch {
      // The namespace is going away; Kubernetes drops such events too.
      return;
    }
    this.expiring.push({ namespace, name: event.metadata.name, at: now + this.ttlMs() });
    this.scheduleExpiry();
  }

  /** One timer for the oldest event: events expire in the order they were recorded. */
  private scheduleExpiry(): void {
    if (this.cancelExpiry || !this.expiring.length) return;
    this.cancelExpiry = this.timers.after(this.expiring[0].at - Date.now(), () => {
      this.cancelExpiry = undefined;
      const now = Date.now();
      while (this.expiring.length && this.expiring[0].at <= now) {
        const { namespace, name } = this.expiring.shift()!;
        if (this.registry.find(events, namespace, name)) this.registry.delete(events, namespace, name);
      }
      this.scheduleExpiry();
    });
  }
}
