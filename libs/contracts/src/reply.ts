import type { JobRecord, JobStatus } from './job-record.js';
import type { FieldProblem } from './work-request.js';

/**
 * The reply to a request's `reply_to` queue. `result` is the sentence MSTC clients read, whose second word is
 * the unique Job name; the other fields say the same in structured form.
 */
export interface WorkReply {
  result: string;
  id: string;
  jobName: string;
  status: JobStatus;
  reason: string | null;
  exitCode: number | null;
  outputBucket: string;
  logObject: string | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** The reply to a message that could not be accepted: no Job was created. */
export interface RejectionReply {
  result: string;
  id: string | null;
  status: 'rejected';
  reason: string;
  errors: FieldProblem[];
}

export function resultSentence(record: Pick<JobRecord, 'jobName' | 'status' | 'reason' | 'exitCode'>): string {
  switch (record.status) {
    case 'succeeded':
      return `Job ${record.jobName} complete.`;
    case 'failed':
      return `Job ${record.jobName} failed: ${record.reason ?? 'unknown reason'}${record.exitCode !== null ? ` (exit code ${record.exitCode})` : ''}.`;
    case 'timed_out':
      return `Job ${record.jobName} timed out.`;
    case 'cancelled':
      return `Job ${record.jobName} cancelled.`;
    default:
      return `Job ${record.jobName} is ${record.status}.`;
  }
}

export function buildReply(record: JobRecord): WorkReply {
  return {
    result: resultSentence(record),
    id: record.id,
    jobName: record.jobName,
    status: record.status,
    reason: record.reason,
    exitCode: record.exitCode,
    outputBucket: record.outputBucket,
    logObject: record.logObject,
    queuedAt: record.queuedAt,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
  };
}

export function buildRejection(id: string | null, reason: string, errors: FieldProblem[]): RejectionReply {
  return { result: `Request ${id ?? '(no id)'} rejected: ${reason}.`, id, status: 'rejected', reason, errors };
}
