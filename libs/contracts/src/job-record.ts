import type { JobOutput } from './job-outputs.js';
import { logObjectName, uniqueJobName } from './job-naming.js';
import type { IdentifiedRequest, WorkRequest } from './work-request.js';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled'];
export const ACTIVE_STATUSES: readonly JobStatus[] = ['queued', 'running'];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** What the system knows of one work request; kept in the S3 store, answered by the api, sent in events. */
export interface JobRecord {
  id: string;
  /** The unique Kubernetes Job name, `<request.jobName>-<id>`. */
  jobName: string;
  status: JobStatus;
  request: WorkRequest;
  outputBucket: string;
  /** Object name of the stored log in `outputBucket`; null until the log is stored. */
  logObject: string | null;
  reason: string | null;
  exitCode: number | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  /**
   * Who submitted the request: the api caller's token name or JWT subject, or for a message sent straight to
   * RabbitMQ its `user_id` (else the worker's AMQP_DEFAULT_OWNER). Only its owner and admins see the job. Absent
   * on records written before owners existed, which only admins see.
   */
  owner?: string;
  /**
   * The statuses whose result events RabbitMQ has confirmed: the outbox of announcements. A status reached but
   * not listed here is still to be announced, by whichever worker next looks at the record. Absent on records
   * written before it existed, which count as fully announced.
   */
  announced?: JobStatus[];
  /**
   * What the Job wrote under its prefix in `outputBucket`, listed by the worker when the Job ended (after the log
   * was stored): not the inputs that were there before the request was queued, nor the log or the manifest. Absent
   * until the job has ended, and on jobs whose container never ran (nothing is listed for them).
   */
  outputs?: JobOutput[];
  /** The output manifest in `outputBucket` (`[<prefix>-]<jobName>.manifest.json`); null when there were no outputs. */
  manifestObject?: string | null;
}

/**
 * The record of a request that has just been accepted. `announced` is what its writer declares announced with
 * the write itself: the api publishes the queued event right after, and removes the record should that fail.
 */
export function newJobRecord(request: IdentifiedRequest, owner: string, at: string, announced: JobStatus[] = []): JobRecord {
  const { id, ...work } = request;
  return {
    id,
    owner,
    jobName: uniqueJobName(request.jobName, id),
    status: 'queued',
    request: work,
    outputBucket: request.outputBucket,
    logObject: null,
    reason: null,
    exitCode: null,
    queuedAt: at,
    startedAt: null,
    finishedAt: null,
    updatedAt: at,
    announced,
  };
}

/**
 * The record a worker makes for a request sent straight to RabbitMQ, as it creates the request's Job: such a
 * request had no record while it waited in the queue, so it is recorded as running at once, which saves a write
 * (README, "The record and its index"). Its queued and running events both go out from it.
 */
export function newRunningJobRecord(request: IdentifiedRequest, owner: string, at: string): JobRecord {
  return { ...newJobRecord(request, owner, at), status: 'running', startedAt: at };
}

/** Where this record's log is (or will be) stored. */
export function plannedLogObject(record: JobRecord): string {
  return logObjectName(record.jobName, record.request.prefix);
}

/** A change of status, with what is learnt along with it. */
export interface StatusChange {
  status: JobStatus;
  at: string;
  reason?: string | null;
  exitCode?: number | null;
  logObject?: string | null;
  /** Statuses whose events have gone out since the record was last written; added to `announced`. */
  announced?: readonly JobStatus[];
  /** The outputs listed when the Job ended, and their manifest; learnt once, like the log. */
  outputs?: JobOutput[];
  manifestObject?: string | null;
  /**
   * The writer publishes the new status's event right after this write and declares it announced with it, which
   * saves a write: a worker ending a record does so while the Job still marks the end as unconfirmed until it is
   * released (see `endUnconfirmed` in the worker's next-step.ts). Only counted when the status is applied.
   */
  declaresAnnounced?: boolean;
}

export type TransitionOutcome =
  /** The record moved to the new status. */
  | 'applied'
  /** The record already has this status (a redelivery, or a second worker). */
  | 'unchanged'
  /** The move is not allowed, e.g. out of a terminal status; the status stays as it was. */
  | 'rejected';

export interface TransitionResult {
  outcome: TransitionOutcome;
  /** The record to keep: the input itself when nothing changed. */
  record: JobRecord;
}

const RANK: Record<JobStatus, number> = { queued: 0, running: 1, succeeded: 2, failed: 2, timed_out: 2, cancelled: 2 };

/** True when `status` comes after `than`: a record there can never be in `than` again. */
export function isLaterStatus(status: JobStatus, than: JobStatus): boolean {
  return RANK[status] > RANK[than];
}

/**
 * The one place that decides how a record may change: statuses only move forward
 * (`queued → running → terminal`, or `queued → terminal`), and a terminal record never changes status again.
 * A log stored after the status was settled is still recorded, so a cancelled Job's log is not lost.
 */
export function applyStatusChange(record: JobRecord, change: StatusChange): TransitionResult {
  if (!isTerminal(record.status) && isLaterStatus(change.status, record.status)) {
    const announced = withAnnounced(record.announced, change.declaresAnnounced ? [...(change.announced ?? []), change.status] : change.announced);
    return {
      outcome: 'applied',
      record: {
        ...record,
        status: change.status,
        reason: change.reason !== undefined ? change.reason : record.reason,
        exitCode: change.exitCode !== undefined ? change.exitCode : record.exitCode,
        logObject: change.logObject ?? record.logObject,
        ...outputsOf(record, change),
        startedAt: record.startedAt ?? (change.status === 'running' ? change.at : null),
        finishedAt: isTerminal(change.status) ? change.at : null,
        updatedAt: change.at,
        ...(announced && { announced }),
      },
    };
  }
  const announced = withAnnounced(record.announced, change.announced);
  const outcome = change.status === record.status ? 'unchanged' : 'rejected';
  const logLearnt = !record.logObject && change.logObject;
  const outputs = outputsOf(record, change);
  if (logLearnt || announced !== record.announced || outputs.outputs !== record.outputs) {
    return {
      outcome,
      record: { ...record, ...(logLearnt && { logObject: change.logObject }), ...outputs, ...(announced && { announced }), updatedAt: change.at },
    };
  }
  return { outcome, record };
}

/** The outputs a change brings, kept once learnt (a later writer that did not list them does not drop them). */
function outputsOf(record: JobRecord, change: StatusChange): Pick<JobRecord, 'outputs' | 'manifestObject'> {
  if (record.outputs || !change.outputs) return record.outputs ? { outputs: record.outputs, manifestObject: record.manifestObject ?? null } : {};
  return { outputs: change.outputs, manifestObject: change.manifestObject ?? null };
}

/** `announced` with the new statuses added, in status order; the same array when nothing is new. */
function withAnnounced(current: JobStatus[] | undefined, added: readonly JobStatus[] | undefined): JobStatus[] | undefined {
  // A record from before the outbox existed counts as fully announced and stays without one.
  if (current === undefined || !added?.some((status) => !current.includes(status))) return current;
  return JOB_STATUSES.filter((status) => current.includes(status) || added.includes(status));
}

/** The statuses a record has passed through, in order: queued, running (when it ran), and its end. */
export function statusesReached(record: JobRecord): JobStatus[] {
  const reached: JobStatus[] = ['queued'];
  if (record.startedAt) reached.push('running');
  if (isTerminal(record.status)) reached.push(record.status);
  return reached;
}

/** Statuses reached whose events have not gone out yet (neither recorded in `announced` nor in `published`), in order. */
export function announcementsDue(record: JobRecord, published: ReadonlySet<JobStatus> = new Set()): JobStatus[] {
  if (record.announced === undefined) return [];
  return statusesReached(record).filter((status) => !record.announced!.includes(status) && !published.has(status));
}

/**
 * The record as it was when it reached `status`: the body of that status's event when it is announced late (a
 * worker that takes over announces `running` after the Job has ended, say).
 */
export function recordAsOf(record: JobRecord, status: JobStatus): JobRecord {
  if (status === record.status) return record;
  const { announced: _announced, outputs: _outputs, manifestObject: _manifestObject, ...rest } = record;
  const base = { ...rest, status, reason: null, exitCode: null, logObject: null, finishedAt: null };
  return status === 'queued' ? { ...base, startedAt: null, updatedAt: record.queuedAt } : { ...base, updatedAt: record.startedAt ?? record.queuedAt };
}
