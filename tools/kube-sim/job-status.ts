/**
 * The Job controller's decisions as a pure function of a Job and its pods, following Kubernetes 1.30+:
 * pods carry the `batch.kubernetes.io/job-tracking` finalizer; a finished pod is first recorded in
 * `status.uncountedTerminatedPods`, its finalizer removed, then counted in `succeeded`/`failed`;
 * success or failure is declared with `SuccessCriteriaMet`/`FailureTarget` and made final with
 * `Complete`/`Failed` once no pod is left running or terminating.
 */
import { clone, hasFinalizer, isDeleting, jsonEqual, parseTimestamp, timestamp, type KubeObject } from './meta.js';
import { isTerminalPhase } from './resources/pods.js';
import type { SimTiming } from './timing.js';

export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface JobSyncInput {
  job: KubeObject;
  /** The pods this Job controls. */
  pods: KubeObject[];
  now: number;
  /** When the controller (re)started the Job, to the millisecond; status.startTime keeps whole seconds. */
  startedAt?: number;
  /** When the controller last saw one of the Job's pods fail. */
  lastFailureAt?: number;
  timing: Pick<SimTiming, 'specSecondMs' | 'podBackoffMs' | 'podBackoffMaxMs'>;
}

export interface JobSyncPlan {
  /** The new status, when it differs from the Job's. */
  status?: Record<string, any>;
  createPods: number;
  deletePods: string[];
  removeFinalizers: string[];
  events: JobEvent[];
  requeueAfterMs?: number;
  /** The Job (re)started in this sync: its start time is `now`. */
  started: boolean;
}

type Condition = Record<string, string | null>;

/** Whether the Job (if there is one) has a condition of this type with status True. */
export function hasCondition(job: KubeObject | undefined, type: string): boolean {
  return (job?.status?.conditions ?? []).some((c: Condition) => c.type === type && c.status === 'True');
}

export function isJobFinished(job: KubeObject): boolean {
  return hasCondition(job, 'Complete') || hasCondition(job, 'Failed');
}

/** When the Job finished: completionTime on success, the Failed condition's time on failure. */
export function jobFinishTime(job: KubeObject): number | undefined {
  if (hasCondition(job, 'Complete')) return parseTimestamp(job.status?.completionTime);
  const failed = (job.status?.conditions ?? []).find((c: Condition) => c.type === 'Failed' && c.status === 'True');
  return failed ? parseTimestamp(failed.lastTransitionTime) : undefined;
}

function isPodReady(pod: KubeObject): boolean {
  return (pod.status?.conditions ?? []).some((c: Condition) => c.type === 'Ready' && c.status === 'True');
}

/** A deleted pod that did not succeed counts as failed, unless the Job only replaces pods that reached Failed. */
export function countsAsFailed(pod: KubeObject, job: KubeObject): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (job.spec?.podReplacementPolicy === 'Failed') return false;
  return isDeleting(pod) && pod.status?.phase !== 'Succeeded';
}

function condition(type: string, reason: string, message: string, now: number, status = 'True'): Condition {
  const time = timestamp(now);
  return { type, status, lastProbeTime: time, lastTransitionTime: time, reason, message };
}

const SUCCESS = { reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' };
const BACKOFF_LIMIT = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
const DEADLINE = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };

export function planJobSync(input: JobSyncInput): JobSyncPlan {
  const { job, pods, now, timing } = input;
  const plan: JobSyncPlan = { createPods: 0, deletePods: [], removeFinalizers: [], events: [], started: false };
  const tracked = (pod: KubeObject) => hasFinalizer(pod, TRACKING_FINALIZER);
  if (isDeleting(job) || isJobFinished(job)) {
    const done = isJobFinished(job);
    plan.removeFinalizers = pods.filter((p) => tracked(p) && (done || isTerminalPhase(p) || isDeleting(p))).map((p) => p.metadata.name!);
    return plan;
  }

  const spec = job.spec;
  const old = job.status ?? {};
  const uncountedSucceeded = new Set<string>(old.uncountedTerminatedPods?.succeeded ?? []);
  const uncountedFailed = new Set<string>(old.uncountedTerminatedPods?.failed ?? []);
  let succeeded: number = old.succeeded ?? 0;
  let failed: number = old.failed ?? 0;
  const byUid = new Map(pods.map((pod) => [pod.metadata.uid!, pod]));

  // A recorded pod whose finalizer is gone has been accounted for: it moves to the counters.
  for (const [uncounted, count] of [[uncountedSucceeded, () => succeeded++], [uncountedFailed, () => failed++]] as const) {
    for (const uid of [...uncounted]) {
      const pod = byUid.get(uid);
      if (!pod || !tracked(pod)) {
        count();
        uncounted.delete(uid);
      }
    }
  }
  // A newly finished pod is recorded first; its finalizer goes once that record is written.
  for (const pod of pods.filter(tracked)) {
    const uid = pod.metadata.uid!;
    if (!uncountedSucceeded.has(uid) && !uncountedFailed.has(uid)) {
      if (pod.status?.phase === 'Succeeded') uncountedSucceeded.add(uid);
      else if (countsAsFailed(pod, job)) uncountedFailed.add(uid);
      else continue;
    }
    plan.removeFinalizers.push(pod.metadata.name!);
  }

  const active = pods.filter((p) => !isTerminalPhase(p) && !isDeleting(p));
  let activeCount = active.length;
  let terminating = pods.filter((p) => isDeleting(p) && !isTerminalPhase(p)).length;
  const totalSucceeded = succeeded + uncountedSucceeded.size;
  const totalFailed = failed + uncountedFailed.size;
  const conditions: Condition[] = clone(old.conditions ?? []);
  let startTime: string | undefined = old.startTime;
  let completionTime: string | undefined = old.completionTime;
  const startedAt = input.startedAt ?? parseTimestamp(startTime);
  const deadline = spec.activeDeadlineSeconds != null && startedAt !== undefined ? startedAt + spec.activeDeadlineSeconds * timing.specSecondMs : undefined;

  let target = conditions.find((c) => (c.type === 'SuccessCriteriaMet' || c.type === 'FailureTarget') && c.status === 'True');
  if (!target) {
    const completed = spec.completions != null ? totalSucceeded >= spec.completions : totalSucceeded > 0 && activeCount === 0;
    if (completed) target = condition('SuccessCriteriaMet', SUCCESS.reason, SUCCESS.message, now);
    else if (totalFailed > spec.backoffLimit) target = condition('FailureTarget', BACKOFF_LIMIT.reason, BACKOFF_LIMIT.message, now);
    else if (!spec.suspend && deadline !== undefined && now >= deadline) target = condition('FailureTarget', DEADLINE.reason, DEADLINE.message, now);
    if (target) {
      conditions.push(target);
      if (target.type === 'FailureTarget') plan.events.push({ type: 'Warning', reason: target.reason!, message: target.message! });
    }
  }

  if (target) {
    // Once the outcome is decided, pods still running are stopped; the outcome is final when they are gone.
    plan.deletePods = active.map((p) => p.metadata.name!);
    terminating += activeCount;
    activeCount = 0;
    if (terminating === 0 && !uncountedSucceeded.size && !uncountedFailed.size) {
      const success = target.type === 'SuccessCriteriaMet';
      conditions.push(condition(success ? 'Complete' : 'Failed', target.reason!, target.message!, now));
      if (success) {
        completionTime = timestamp(now);
        plan.events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
      }
    }
  } else if (spec.suspend) {
    plan.deletePods = active.map((p) => p.metadata.name!);
    terminating += activeCount;
    activeCount = 0;
    if (!hasCondition(job, 'Suspended')) {
      const index = conditions.findIndex((c) => c.type === 'Suspended');
      const suspended = condition('Suspended', 'JobSuspended', 'Job suspended', now);
      if (index >= 0) conditions[index] = suspended;
      else conditions.push(suspended);
      plan.events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
    }
  } else {
    const suspendedIndex = conditions.findIndex((c) => c.type === 'Suspended' && c.status === 'True');
    if (suspendedIndex >= 0) {
      conditions[suspendedIndex] = condition('Suspended', 'JobResumed', 'Job resumed', now, 'False');
      plan.events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
      startTime = undefined;
    }
    if (!startTime) {
      startTime = timestamp(now);
      plan.started = true;
    }
    const remaining = spec.completions != null ? spec.completions - totalSucceeded : totalSucceeded > 0 ? 0 : spec.parallelism;
    const wanted = Math.max(0, Math.min(spec.parallelism, remaining));
    const occupied = activeCount + (spec.podReplacementPolicy === 'Failed' ? terminating : 0);
    if (wanted > occupied) {
      const backoff =
        totalFailed > 0 && input.lastFailureAt !== undefined
          ? Math.min(timing.podBackoffMs * 2 ** (totalFailed - 1), timing.podBackoffMaxMs) - (now - input.lastFailureAt)
          : 0;
      if (backoff > 0) plan.requeueAfterMs = backoff;
      else {
        plan.createPods = wanted - occupied;
        activeCount += plan.createPods;
      }
    } else if (wanted < activeCount) {
      plan.deletePods = active.slice(wanted).map((p) => p.metadata.name!);
      terminating += activeCount - wanted;
      activeCount = wanted;
    }
    const deadlineNow = plan.started ? now + (spec.activeDeadlineSeconds ?? 0) * timing.specSecondMs : deadline;
    if (spec.activeDeadlineSeconds != null && deadlineNow !== undefined) {
      plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, Math.max(0, deadlineNow - now));
    }
  }

  const uncountedTerminatedPods: Record<string, string[]> = {};
  if (uncountedSucceeded.size) uncountedTerminatedPods.succeeded = [...uncountedSucceeded];
  if (uncountedFailed.size) uncountedTerminatedPods.failed = [...uncountedFailed];
  const status = Object.fromEntries(
    Object.entries({
      conditions: conditions.length ? conditions : undefined,
      startTime,
      completionTime,
      active: activeCount || undefined,
      succeeded: succeeded || undefined,
      failed: failed || undefined,
      terminating,
      uncountedTerminatedPods,
      ready: active.filter(isPodReady).length,
    }).filter(([, value]) => value !== undefined),
  );
  if (!jsonEqual(status, old)) plan.status = status;
  return plan;
}
