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
}

/** The record of a request that has just been accepted. */
export function newJobRecord(request: IdentifiedRequest, at: string): JobRecord {
  const { id, ...work } = request;
  return {
    id,
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
  };
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
    return {
      outcome: 'applied',
      record: {
        ...record,
        status: change.status,
        reason: change.reason !== undefined ? change.reason : record.reason,
        exitCode: change.exitCode !== undefined ? change.exitCode : record.exitCode,
        logObject: change.logObject ?? record.logObject,
        startedAt: record.startedAt ?? (change.status === 'running' ? change.at : null),
        finishedAt: isTerminal(change.status) ? change.at : null,
        updatedAt: change.at,
      },
    };
  }
  const outcome = change.status === record.status ? 'unchanged' : 'rejected';
  if (!record.logObject && change.logObject) {
    return { outcome, record: { ...record, logObject: change.logObject, updatedAt: change.at } };
  }
  return { outcome, record };
}
