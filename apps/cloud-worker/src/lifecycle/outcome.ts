import type { JobRecord, JobStatus } from '@app/contracts';
import { jobCondition, podState, verdictFromPods, type JobVerdict } from '@app/kube';
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

/**
 * Whether the Job may have written outputs: some pod of it ran (or was seen). A Job that was never created, or
 * whose container could not start, has none, and costs no S3 listing.
 */
export function mayHaveOutputs(outcome: Outcome): boolean {
  return outcome.podNames.length > 0;
}

export const TIMED_OUT_REASON = 'DeadlineExceeded';
/** The S3 store refused the log object for good (a denied bucket, a name it rejects): the job cannot keep its log. */
export const LOG_NOT_STORED_REASON = 'LogNotStored';
/** The Kubernetes API refused the Job for good (invalid, forbidden): it never ran. */
export const JOB_NOT_CREATED_REASON = 'JobNotCreated';
/** The store's STS refused the Job's own S3 credentials for good (JOB_S3_CREDENTIALS=sts): the Job cannot start. */
export const CREDENTIALS_NOT_ISSUED_REASON = 'CredentialsNotIssued';

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

export function jobNotCreated(message: string): Outcome {
  return { status: 'failed', reason: JOB_NOT_CREATED_REASON, exitCode: null, podNames: [], note: `The Kubernetes API refused the Job: ${message}`, deleteJob: true };
}

export function credentialsNotIssued(message: string): Outcome {
  return { status: 'failed', reason: CREDENTIALS_NOT_ISSUED_REASON, exitCode: null, podNames: [], note: `No S3 credentials could be issued for the Job: ${message}`, deleteJob: true };
}

/** Finishing a Job whose record has already ended (cancelled by the api, or settled by another worker). */
export function outcomeFromRecord(record: JobRecord, job: V1Job | undefined, podNames: string[]): Outcome {
  const status = record.status as Outcome['status'];
  const stillActive = job !== undefined && jobCondition(job).kind === 'active';
  return { status, reason: record.reason, exitCode: record.exitCode, podNames, deleteJob: stillActive || status === 'cancelled' || status === 'timed_out' };
}

/** What the worker sees of a running Job: its pods (oldest first), the Job as last read, and the clock. */
export interface Observation {
  pods: V1Pod[];
  /** The Job as last read; null when it was found not to exist, undefined when it has not been read. */
  job: V1Job | null | undefined;
  /** The Job has changed (or may have) since it was last read, so its conditions cannot be trusted. */
  jobStale: boolean;
  /** Pods of this Job have been seen, so none now means they were removed. */
  sawPods: boolean;
  deadlinePassed: boolean;
  containerName: string;
  backoffLimit: number;
  /**
   * A Secret the pod may be waiting for: the Job's own S3 credentials, which come after the Job (it owns them).
   * A kubelet that finds it missing reports CreateContainerConfigError and tries again; that is no reason to fail.
   */
  awaitedSecret?: string;
}

/** A pod that cannot start only because the awaited Secret is not there yet is still starting. */
function waitingForSecret(verdict: JobVerdict, secretName: string | undefined): JobVerdict {
  const missing = verdict.kind === 'cannot-start' && verdict.reason === 'CreateContainerConfigError' && verdict.message.includes(`secret "${secretName}" not found`);
  return secretName && missing ? { kind: 'active' } : verdict;
}

/**
 * Whether a Job has ended and how, from its pods where they tell (no API request), else from the Job's own
 * conditions (`needJob` when those must be read first), else from the clock (`timeOut`).
 */
export function observeOutcome(seen: Observation): { outcome?: Outcome; needJob?: true } {
  const verdict = waitingForSecret(verdictFromPods(seen.pods, seen.containerName, seen.backoffLimit), seen.awaitedSecret);
  const podNames = seen.pods.map((pod) => pod.metadata!.name!);
  const fromPods = outcomeOfVerdict(verdict, podNames);
  if (fromPods) return { outcome: fromPods };
  const podsCannotTell = verdict.kind === 'ask-job' || (seen.sawPods && seen.pods.length === 0);
  if (podsCannotTell || (!seen.sawPods && seen.job !== undefined && !seen.jobStale)) {
    if (seen.jobStale || seen.job === undefined) return { needJob: true };
    const fromJob = outcomeOfJob(seen.job ?? undefined, seen.pods, seen.containerName);
    if (fromJob) return { outcome: fromJob };
  }
  return seen.deadlinePassed ? { outcome: timedOut(podNames) } : {};
}
