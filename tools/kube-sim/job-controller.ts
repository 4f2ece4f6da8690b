/**
 * The Job controller: reacts to changes of Jobs and of the pods they own (never polls), creates pods
 * from the template, and applies the decisions of `planJobSync`.
 */
import type { ControllerGate } from './controller-gate.js';
import type { EventRecorder } from './event-recorder.js';
import { clone, controllerOf, hasFinalizer, isDeleting, ownerReferenceTo, withoutFinalizer, type KubeObject } from './meta.js';
import type { Registry } from './registry.js';
import { resourceType } from './resources/index.js';
import { countsAsFailed, planJobSync, TRACKING_FINALIZER } from './job-status.js';
import type { Store, StoreEvent } from './store.js';
import type { Timers } from './timers.js';
import type { SimTiming } from './timing.js';
import { WorkQueue } from './work-queue.js';

const jobs = resourceType('jobs');
const pods = resourceType('pods');
const SOURCE = { component: 'job-controller' };

interface JobMemory {
  startedAt?: number;
  lastFailureAt?: number;
  failedPods: Set<string>;
  cancelRequeue?: () => void;
}

export class JobController {
  private readonly queue: WorkQueue<string>;
  /** Millisecond times the status cannot hold (it keeps whole seconds), by Job uid. */
  private readonly memory = new Map<string, JobMemory>();

  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    private readonly recorder: EventRecorder,
    gate: ControllerGate,
    timers: Timers,
    private readonly timing: SimTiming,
  ) {
    this.queue = new WorkQueue('job-controller', gate, timers, (uid) => this.sync(uid));
    store.subscribe((event) => this.observe(event));
  }

  private observe(event: StoreEvent): void {
    const object = event.entry.object;
    if (event.resource === 'jobs') {
      if (event.type === 'DELETED') this.forget(object.metadata.uid!);
      this.queue.add(object.metadata.uid!);
      return;
    }
    if (event.resource !== 'pods') return;
    const owner = controllerOf(object);
    if (owner?.kind !== 'Job') {
      // A pod that lost its Job (orphaned, or the Job is gone) must not keep the tracking finalizer.
      if (hasFinalizer(object, TRACKING_FINALIZER) && event.type !== 'DELETED') this.queue.add(`pod:${object.metadata.uid}`);
      return;
    }
    this.queue.add(owner.uid);
  }

  private forget(uid: string): void {
    this.memory.get(uid)?.cancelRequeue?.();
    this.memory.delete(uid);
  }

  private sync(key: string): void {
    if (key.startsWith('pod:')) return this.releaseOrphan(key.slice(4));
    const found = this.store.getByUid(key);
    if (!found || found.resource !== 'jobs') {
      for (const dependent of this.store.dependentsOf(key)) this.releaseOrphan(dependent.entry.object.metadata.uid!);
      return;
    }
    const job = found.entry.object;
    const owned = this.store.dependentsOf(key).filter((d) => d.resource === 'pods' && controllerOf(d.entry.object)?.uid === key);
    const podObjects = owned.map((d) => d.entry.object);
    const memory = this.memoryOf(key);
    const now = Date.now();
    for (const pod of podObjects) {
      if (countsAsFailed(pod, job) && !memory.failedPods.has(pod.metadata.uid!)) {
        memory.failedPods.add(pod.metadata.uid!);
        memory.lastFailureAt = now;
      }
    }
    const plan = planJobSync({ job, pods: podObjects, now, startedAt: memory.startedAt, lastFailureAt: memory.lastFailureAt, timing: this.timing });
    if (plan.started) memory.startedAt = now;
    if (plan.status) this.registry.modify(jobs, job.metadata.namespace, job.metadata.name!, (j) => (j.status = plan.status));
    for (const name of plan.removeFinalizers) {
      this.registry.modify(pods, job.metadata.namespace, name, (pod) => withoutFinalizer(pod, TRACKING_FINALIZER));
    }
    for (const name of plan.deletePods) this.deletePod(job, name);
    for (let i = 0; i < plan.createPods; i++) this.createPod(job);
    for (const event of plan.events) this.recorder.record({ type: jobs, object: job }, event.type, event.reason, event.message, SOURCE);
    memory.cancelRequeue?.();
    memory.cancelRequeue = plan.requeueAfterMs !== undefined ? this.queue.addAfter(key, plan.requeueAfterMs) : undefined;
  }

  private memoryOf(uid: string): JobMemory {
    let memory = this.memory.get(uid);
    if (!memory) this.memory.set(uid, (memory = { failedPods: new Set() }));
    return memory;
  }

  private releaseOrphan(podUid: string): void {
    const found = this.store.getByUid(podUid);
    if (!found || found.resource !== 'pods') return;
    const pod = found.entry.object;
    const owner = controllerOf(pod);
    const job = owner?.kind === 'Job' ? this.store.getByUid(owner.uid) : undefined;
    if (job && !isDeleting(job.entry.object)) return;
    this.registry.modify(pods, pod.metadata.namespace, pod.metadata.name!, (p) => withoutFinalizer(p, TRACKING_FINALIZER));
  }

  private createPod(job: KubeObject): void {
    const template = clone(job.spec.template);
    const pod: KubeObject = {
      metadata: {
        ...template.metadata,
        generateName: `${job.metadata.name}-`,
        ownerReferences: [ownerReferenceTo(job, jobs.apiVersion, jobs.kind)],
        finalizers: [TRACKING_FINALIZER],
      },
      spec: template.spec,
    };
    const created = this.registry.create(pods, job.metadata.namespace, pod);
    this.recorder.record({ type: jobs, object: job }, 'Normal', 'SuccessfulCreate', `Created pod: ${created.object.metadata.name}`, SOURCE);
  }

  private deletePod(job: KubeObject, name: string): void {
    if (!this.registry.find(pods, job.metadata.namespace, name)) return;
    this.registry.delete(pods, job.metadata.namespace, name, { propagationPolicy: 'Background' });
    this.recorder.record({ type: jobs, object: job }, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`, SOURCE);
  }
}
