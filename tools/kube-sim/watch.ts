/**
 * Watch connections: replay from a resourceVersion (or synthetic ADDED events for the current state),
 * then live events, BOOKMARKs, `timeoutSeconds`, and 410 as an ERROR event when the history no longer
 * reaches back far enough. A JSON event line is built once per store event and shared by all watchers.
 */
import type { ServerResponse } from 'node:http';
import { expired } from './errors.js';
import type { KubeObject } from './meta.js';
import { matchesSelectors } from './registry.js';
import type { ResourceType } from './resources/index.js';
import type { FieldRequirement, LabelSelector } from './selectors.js';
import type { Entry, EventType, Store, StoreEvent } from './store.js';
import type { Timers } from './timers.js';

export interface WatchSpec {
  type: ResourceType;
  namespace?: string;
  labelSelector: LabelSelector;
  fieldSelector: FieldRequirement[];
  /** The `resourceVersion` parameter; absent or "0" means "the current state, then changes". */
  resourceVersion?: string;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutMs: number;
  /** Serialises an event for this watcher; absent means the shared JSON line. */
  format?: (type: EventType, object: KubeObject) => string;
}

export interface OpenWatch {
  resource: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

interface Watcher {
  spec: WatchSpec;
  response: ServerResponse;
  cancelTimeout: () => void;
  describe: OpenWatch;
}

/** `{"kind":"Job","apiVersion":"batch/v1",…}` from stored JSON without re-serialising it. */
export function withTypeMeta(type: ResourceType, json: string): string {
  return `{"kind":"${type.kind}","apiVersion":"${type.apiVersion}",${json.slice(1)}`;
}

function eventLine(eventType: string, objectJson: string): string {
  return `{"type":"${eventType}","object":${objectJson}}\n`;
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private stopBookmarks?: () => void;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    private readonly timers: Timers,
    private readonly bookmarkIntervalMs: () => number,
  ) {
    this.unsubscribe = store.subscribe((event) => this.dispatch(event));
  }

  open(response: ServerResponse, spec: WatchSpec, describe: OpenWatch): void {
    const watcher: Watcher = { spec, response, cancelTimeout: () => {}, describe };
    const rv = spec.resourceVersion && spec.resourceVersion !== '0' ? Number(spec.resourceVersion) : undefined;
    if (rv !== undefined) {
      const changes = this.store.changesSince(spec.type.resource, rv);
      if (!changes) {
        const oldest = this.store.oldestResumable(spec.type.resource);
        response.end(eventLine('ERROR', JSON.stringify(expired(`too old resource version: ${rv} (${oldest})`).toStatus())));
        return;
      }
      for (const change of changes) this.deliver(watcher, change);
    } else {
      for (const entry of this.store.list(spec.type.resource, spec.type.namespaced ? spec.namespace : undefined)) {
        if (this.matches(spec, entry.object)) this.send(watcher, 'ADDED', entry, {});
      }
      if (spec.sendInitialEvents && spec.allowBookmarks) this.bookmark(watcher, { 'k8s.io/initial-events-end': 'true' });
    }
    this.watchers.add(watcher);
    watcher.cancelTimeout = this.timers.after(spec.timeoutMs, () => this.close(watcher));
    response.on('close', () => this.forget(watcher));
    if (spec.allowBookmarks) this.startBookmarks();
  }

  count(resource?: string): number {
    return [...this.watchers].filter((w) => !resource || w.describe.resource === resource).length;
  }

  list(): OpenWatch[] {
    return [...this.watchers].map((w) => ({ ...w.describe }));
  }

  /** Ends every open watch, as a dropped connection or an API server restart would. */
  dropAll(): void {
    for (const watcher of [...this.watchers]) this.close(watcher);
  }

  stop(): void {
    this.unsubscribe();
    this.dropAll();
  }

  private close(watcher: Watcher): void {
    this.forget(watcher);
    watcher.response.end();
  }

  private forget(watcher: Watcher): void {
    if (!this.watchers.delete(watcher)) return;
    watcher.cancelTimeout();
    if (![...this.watchers].some((w) => w.spec.allowBookmarks)) {
      this.stopBookmarks?.();
      this.stopBookmarks = undefined;
    }
  }

  private startBookmarks(): void {
    this.stopBookmarks ??= this.timers.every(this.bookmarkIntervalMs(), () => {
      for (const watcher of this.watchers) if (watcher.spec.allowBookmarks) this.bookmark(watcher);
    });
  }

  private bookmark(watcher: Watcher, annotations?: Record<string, string>): void {
    const { kind, apiVersion } = watcher.spec.type;
    const metadata = { resourceVersion: String(this.store.resourceVersion), creationTimestamp: null, ...(annotations ? { annotations } : {}) };
    this.write(watcher, eventLine('BOOKMARK', JSON.stringify({ kind, apiVersion, metadata })));
  }

  private matches(spec: WatchSpec, object: KubeObject): boolean {
    if (spec.type.namespaced && spec.namespace && object.metadata.namespace !== spec.namespace) return false;
    return matchesSelectors(spec.type, object, spec.labelSelector, spec.fieldSelector);
  }

  private dispatch(event: StoreEvent): void {
    for (const watcher of this.watchers) {
      if (watcher.spec.type.resource === event.resource) this.deliver(watcher, event);
    }
  }

  /** An object entering or leaving a watcher's selection shows up as ADDED or DELETED, as the watch cache does. */
  private deliver(watcher: Watcher, event: StoreEvent): void {
    const now = this.matches(watcher.spec, event.entry.object);
    const before = event.previous !== undefined && this.matches(watcher.spec, event.previous.object);
    let type: EventType | undefined;
    if (event.type === 'ADDED') type = now ? 'ADDED' : undefined;
    else if (event.type === 'DELETED') type = before ? 'DELETED' : undefined;
    else if (now) type = before ? 'MODIFIED' : 'ADDED';
    else if (before) type = 'DELETED';
    if (type) this.send(watcher, type, event.entry, event.lines);
  }

  /** `lines` keeps the JSON line for the other watchers of the same store event. */
  private send(watcher: Watcher, type: EventType, entry: Entry, lines: StoreEvent['lines']): void {
    const { format } = watcher.spec;
    this.write(watcher, format ? format(type, entry.object) : (lines[type] ??= eventLine(type, withTypeMeta(watcher.spec.type, entry.json))));
  }

  /** Events written in one tick leave in one chunk: a burst of changes costs one write, not one per event. */
  private write(watcher: Watcher, line: string): void {
    const response = watcher.response;
    if (!response.writableCorked) {
      response.cork();
      process.nextTick(() => response.uncork());
    }
    response.write(line);
  }
}
