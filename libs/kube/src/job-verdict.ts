import type { V1Job, V1Pod } from '@kubernetes/client-node';

/** Waiting reasons from which a container does not get going by itself: fail fast instead of waiting out the time-out. */
export const CANNOT_START_REASONS: ReadonlySet<string> = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RegistryUnavailable',
  'SignatureValidationFailed',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

export type PodState =
  | { phase: 'waiting' }
  | { phase: 'running' }
  | { phase: 'succeeded'; exitCode: number }
  | { phase: 'failed'; exitCode: number | null; reason: string }
  | { phase: 'cannot-start'; reason: string; message: string };

/** Where a pod's work container stands, read from its status as the kubelet reports it. */
export function podState(pod: V1Pod, containerName: string): PodState {
  const statuses = pod.status?.containerStatuses ?? [];
  const container = statuses.find((status) => status.name === containerName) ?? statuses[0];
  const terminated = container?.state?.terminated;
  if (terminated) {
    return terminated.exitCode === 0
      ? { phase: 'succeeded', exitCode: 0 }
      : { phase: 'failed', exitCode: terminated.exitCode, reason: terminated.reason ?? 'Error' };
  }
  if (pod.status?.phase === 'Succeeded') return { phase: 'succeeded', exitCode: 0 };
  if (pod.status?.phase === 'Failed') return { phase: 'failed', exitCode: null, reason: pod.status.reason ?? 'Failed' };
  const waiting = container?.state?.waiting;
  if (waiting?.reason && CANNOT_START_REASONS.has(waiting.reason)) {
    return { phase: 'cannot-start', reason: waiting.reason, message: waiting.message ?? waiting.reason };
  }
  if (container?.state?.running) return { phase: 'running' };
  return { phase: 'waiting' };
}

export type JobVerdict =
  /** Still going: wait for the next event. */
  | { kind: 'active' }
  | { kind: 'succeeded'; exitCode: number }
  | { kind: 'failed'; exitCode: number | null; reason: string }
  | { kind: 'cannot-start'; reason: string; message: string }
  /** A pod ended because something deleted it (deadline, suspension, a person): the Job's own conditions tell. */
  | { kind: 'ask-job' };

/**
 * Reads a Job's outcome from its pods alone (oldest first, as `PodInformer.podsOfJob` gives them), as the Job
 * controller would decide it for `restartPolicy: Never` and one completion: any succeeded pod completes it; more
 * failed pods than `backoffLimit` fail it.
 */
export function verdictFromPods(pods: V1Pod[], containerName: string, backoffLimit: number): JobVerdict {
  const states = pods.map((pod) => ({ pod, state: podState(pod, containerName) }));
  if (states.some(({ state }) => state.phase === 'succeeded')) return { kind: 'succeeded', exitCode: 0 };
  const failed = states.filter(({ state }) => state.phase === 'failed');
  if (failed.some(({ pod }) => pod.metadata?.deletionTimestamp)) return { kind: 'ask-job' };
  if (failed.length > backoffLimit) {
    const last = failed[failed.length - 1];
    const state = last.state as Extract<PodState, { phase: 'failed' }>;
    return { kind: 'failed', exitCode: state.exitCode, reason: state.reason };
  }
  const newest = states[states.length - 1];
  if (newest?.state.phase === 'cannot-start') {
    return { kind: 'cannot-start', reason: newest.state.reason, message: newest.state.message };
  }
  return { kind: 'active' };
}

export type JobCondition = { kind: 'complete' } | { kind: 'failed'; reason: string; message: string } | { kind: 'active' };

/** The Job controller's own verdict, from the Job's conditions. */
export function jobCondition(job: V1Job): JobCondition {
  const conditions = (job.status?.conditions ?? []).filter((condition) => condition.status === 'True');
  if (conditions.some((condition) => condition.type === 'Complete' || condition.type === 'SuccessCriteriaMet')) return { kind: 'complete' };
  const failed = conditions.find((condition) => condition.type === 'Failed' || condition.type === 'FailureTarget');
  if (failed) return { kind: 'failed', reason: failed.reason ?? 'Failed', message: failed.message ?? failed.reason ?? 'Failed' };
  return { kind: 'active' };
}
