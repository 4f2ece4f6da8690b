/**
 * The TTL-after-finished controller: deletes a finished Job (Foreground, so its pods go first) once
 * `ttlSecondsAfterFinished` has passed since it finished. One timer per finished Job, reset whenever
 * the Job changes, so a TTL lowered after the fact takes effect at once.
 */
import type { ControllerGate } from './controller-gate.js';
import { isDeleting, type KubeObject } from './meta.js';
import type { Registry } from './registry.js';
import { resourceType } from './resources/index.js';
import { isJobFinished, jobFinishTime } from './job-status.js';
import type { Store, StoreEvent } from './store.js';
import type { Timers } from './timers.js';
import type { SimTiming } from './timing.js';
import { WorkQueue } from './work-queue.js';

const jobs = resourceType('jobs');

export class TtlController {
  private readonly queue: WorkQueue<string>;
  private readonly expiries = new Map<string, () => void>();
  /** When each Job was seen finished, to the millisecond (its status keeps whole seconds). */
  private readonly finishedAt = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    gate: ControllerGate,
    timers: Timers,
    private readonly timing: SimTiming,
  ) {
    this.queue = new WorkQueue('ttl-controller', gate, timers, (uid) => this.sync(uid));
    store.subscribe((event) => this.observe(event));
  }

  private observe(event: StoreEvent): void {
    if (event.resource !== 'jobs') return;
    const uid = event.entry.object.metadata.uid!;
    if (event.type === 'DELETED') {
      this.expiries.get(uid)?.();
      this.expiries.delete(uid);
      this.finishedAt.delete(uid);
      return;
    }
    if (isJobFinished(event.entry.object)) {
      if (!this.finishedAt.has(uid)) this.finishedAt.set(uid, this.finishTime(event.entry.object));
      this.queue.add(uid);
    }
  }

  private finishTime(job: KubeObject): number {
    const recorded = jobFinishTime(job) ?? Date.now();
    // A finish the controller sees as it happens is more precise than the status's whole seconds.
    return Date.now() - recorded < 1000 ? Date.now() : recorded;
  }

  private sync(uid: string): void {
    this.expiries.get(uid)?.();
    this.expiries.delete(uid);
    const found = this.store.getByUid(uid);
    if (!found || found.resource !== 'jobs') return;
    const job = found.entry.object;
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (ttl == null || isDeleting(job) || !isJobFinished(job)) return;
    const remaining = this.finishedAt.get(uid)! + ttl * this.timing.specSecondMs - Date.now();
    if (remaining > 0) {
      this.expiries.set(uid, this.queue.addAfter(uid, remaining));
      return;
    }
    this.registry.delete(jobs, job.metadata.namespace, job.metadata.name!, {
      propagationPolicy: 'Foreground',
      preconditions: { uid, resourceVersion: job.metadata.resourceVersion },
    });
  }
}
