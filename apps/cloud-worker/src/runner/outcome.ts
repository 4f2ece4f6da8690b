import type { JobStatus } from '@app/contracts';
import { jobCondition, podState, type JobVerdict } from '@app/kube';
import type { V1Job, V1Pod } from '@kubernetes/client-node';

/** How a Job ended, and what that asks of the worker. */
export interface Outcome {
  status: Extract<JobStatus, 'succeeded' | 'failed' | 'timed_out' | 'cancelled'>;
  reason: string | null;
  exitCode: number | null;
  /** Pods whose logs make up the stored log, oldest first; empty when there is nothing to read. */
  podNames: string[];
  /** Stored as the log when the Job could not run, or its log could not be read. */
  note?: string;
  /** The Job is removed instead of being left to its TTL: it did not finish by itself. */
  deleteJob: boolean;
}

export const TIMED_OUT_REASON = 'DeadlineExceeded';

/** The outcome a terminal verdict from the pods stands for; undefined while the Job is still active. */
export function outcomeOfVerdict(verdict: JobVerdict, podNames: string[]): Outcome | undefined {
  switch (verdict.kind) {
    case 'succeeded':
      return { status: 'succeeded', reason: null, exitCode: verdict.exitCode, podNames, deleteJob: false };
    case 'failed':
      return { status: 'failed', reason: verdict.reason, exitCode: verdict.exitCode, podNames, deleteJob: false };
    case 'cannot-start':
      return {
        status: 'failed',
        reason: verdict.reason,
        exitCode: null,
        podNames: [],
        note: `The Job's container could not start: ${verdict.reason}: ${verdict.message}`,
        deleteJob: true,
      };
    default:
      return undefined;
  }
}

/**
 * The outcome the Job controller's conditions state, for when the pods alone cannot tell (a pod deleted under a
 * Job, or no pods left); undefined while the Job is still active.
 */
export function outcomeOfJob(job: V1Job | undefined, pods: V1Pod[], containerName: string): Outcome | undefined {
  const podNames = pods.map((pod) => pod.metadata!.name!);
  if (!job) {
    return { status: 'failed', reason: 'JobDeleted', exitCode: null, podNames, note: 'The Job was deleted before it finished.', deleteJob: false };
  }
  const condition = jobCondition(job);
  if (condition.kind === 'complete') return { status: 'succeeded', reason: null, exitCode: 0, podNames, deleteJob: false };
  if (condition.kind === 'active') return undefined;
  if (condition.reason === TIMED_OUT_REASON) return timedOut(podNames);
  const lastFailure = [...pods].reverse().map((pod) => podState(pod, containerName)).find((state) => state.phase === 'failed');
  return {
    status: 'failed',
    reason: condition.reason,
    exitCode: lastFailure?.phase === 'failed' ? lastFailure.exitCode : null,
    podNames,
    note: podNames.length === 0 ? condition.message : undefined,
    deleteJob: false,
  };
}

export function timedOut(podNames: string[]): Outcome {
  return { status: 'timed_out', reason: TIMED_OUT_REASON, exitCode: null, podNames, deleteJob: true };
}

export function cancelled(podNames: string[]): Outcome {
  return { status: 'cancelled', reason: 'Cancelled', exitCode: null, podNames, deleteJob: true };
}
