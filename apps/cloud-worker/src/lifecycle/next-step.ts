import { announcementsDue, isTerminal, type JobRecord, type JobStatus } from '@app/contracts';
import { mayHaveOutputs, type Outcome } from './outcome.js';

/** Where a request's Kubernetes Job stands, as far as this worker knows. */
export type JobPresence = 'unknown' | 'present' | 'absent' | 'collected';

/** Everything the reconcile decides on, read from the record, the Job, its pods, the messages held and the outbox. */
export interface Situation {
  record: JobRecord | undefined;
  /** The cached record may be behind the store (a cancel command, a resync): read it first. */
  recordStale: boolean;
  /** Messages held for this request: they carry the request (to make a record or a Job from) and wait for an answer. */
  hasDeliveries: boolean;
  /** A held message asks for different work under this request id. */
  conflicting: boolean;
  job: JobPresence;
  /** This worker has seen the Job exist: one it finds gone since was deleted, and is not made again. */
  sawJob: boolean;
  /** How the Job ended: decided once, from `observed` (or set when a step gave up), then kept. */
  outcome: Outcome | undefined;
  /** What the pods, the Job and the clock say now; `needJob` when the Job must be read to tell. */
  observed: { outcome?: Outcome; needJob?: true };
  /** Statuses whose events this worker has published and not yet recorded in the record's `announced`. */
  published: ReadonlySet<JobStatus>;
  /** Statuses this worker moved the record to: their events are its to publish, at once. */
  applied: ReadonlySet<JobStatus>;
  /**
   * The record has not changed for a grace period: a status another writer reached and has not recorded as
   * announced is taken to be unannounced (its writer died, or its publish failed) and is announced here.
   */
  othersHadTheirTime: boolean;
  /**
   * The record's end was declared announced by the worker that wrote it (`declaresAnnounced`), which confirms it
   * by releasing the Job only after publishing; the Job is still there and this worker has not published it, so
   * the writer may have stopped in between: the end counts as still to announce.
   */
  endUnconfirmed: boolean;
  /**
   * With per-Job S3 credentials (JOB_S3_CREDENTIALS=sts): the Job is there, still to run, and its Secret of
   * credentials is not known to exist. Its pod waits for that Secret.
   */
  credentialsMissing: boolean;
  logStored: boolean;
  /** The store refused the log object for good. */
  logRefused: boolean;
  /** The Job's outputs are listed and their manifest stored (this run of the worker). */
  manifestStored: boolean;
  /** The store refused the listing or the manifest for good: the job ends without. */
  manifestRefused: boolean;
  /** A Job nobody here holds a message for, waiting out the grace period for the worker that does. */
  orphanWaiting: boolean;
  /** A step failed for good and its failure is not one the job can end with: answer the messages with it. */
  deadLetter: boolean;
}

export type Step =
  | { kind: 'read-record' }
  | { kind: 'create-record' }
  | { kind: 'reject-conflicts' }
  /** The events due, in the order of the statuses: published together, confirmed together. */
  | { kind: 'announce'; statuses: JobStatus[] }
  | { kind: 'read-job' }
  | { kind: 'create-job' }
  | { kind: 'create-credentials' }
  | { kind: 'mark-running' }
  | { kind: 'store-log'; outcome: Outcome }
  | { kind: 'store-manifest' }
  | { kind: 'settle'; outcome: Outcome }
  | { kind: 'record-announced' }
  | { kind: 'reply' }
  | { kind: 'release-job' }
  | { kind: 'dead-letter' }
  /** Nothing to do until a trigger: a pod change, a message, a timer, a cancel, the resync. */
  | { kind: 'wait' }
  /** Nothing left to do: stop following the request. */
  | { kind: 'forget' };

export type StepKind = Step['kind'];

/**
 * The next missing step for one request, from its situation alone (a level-based reconcile: it does not matter
 * how the situation came about, only what it is). The order is the order of the promises: the log and then the
 * output manifest are stored before the record says the job ended (and the record carries both), the record
 * before anything is announced, every announcement before the
 * Job is released to its TTL or deleted, and the messages are acknowledged last.
 */
export function nextStep(s: Situation): Step {
  // Giving up comes first: the step that failed for good may be the read of the record itself.
  if (s.deadLetter) return { kind: 'dead-letter' };
  if (s.recordStale) return { kind: 'read-record' };
  const record = s.record;
  if (!record) return s.hasDeliveries ? { kind: 'create-record' } : { kind: 'forget' };
  if (s.conflicting) return { kind: 'reject-conflicts' };
  const due = announcementsDue(record, s.published);
  if (s.endUnconfirmed) due.push(record.status);
  // An event is its writer's to publish; another worker steps in only once the writer has had its time.
  const announce = due.filter((status) => s.applied.has(status) || s.othersHadTheirTime);
  if (announce.length > 0) return { kind: 'announce', statuses: announce };
  return isTerminal(record.status) ? nextStepOfEnded(s, record, due.length > 0) : nextStepOfActive(s, record);
}

function nextStepOfActive(s: Situation, record: JobRecord): Step {
  if (s.job === 'collected') return { kind: 'read-record' };
  if (!s.outcome) {
    if (s.job === 'unknown' || s.job === 'absent') {
      // Creating adopts a Job that exists already (its name is the request's), so a redelivery never runs twice.
      // A running record may have lost its worker between the record and the Job (`newRunningJobRecord`).
      if (s.hasDeliveries && (record.status === 'queued' || !s.sawJob)) return { kind: 'create-job' };
      if (s.job === 'unknown') return { kind: 'read-job' };
      // A request without a Job, held by nobody here, queued or running without its Job ever seen here: its message
      // is in the queue or with another worker, whose holder makes the Job, or ends it as deleted if it saw it go.
      // What this worker announced of it is recorded first, so that the next holder does not announce it again.
      if (record.status === 'queued' || !s.sawJob) return s.published.size > 0 ? { kind: 'record-announced' } : { kind: 'forget' };
    }
    // The Secret is owned by the Job, so it comes after it; the pod waits for it.
    if (s.credentialsMissing) return { kind: 'create-credentials' };
    if (record.status === 'queued') return { kind: 'mark-running' };
  }
  const outcome = s.outcome ?? s.observed.outcome;
  if (!outcome) return s.observed.needJob ? { kind: 'read-job' } : { kind: 'wait' };
  if (s.orphanWaiting) return { kind: 'wait' };
  return storeThenSettle(s, outcome);
}

/**
 * The log, then the outputs beside it (only with the log, when a container ran, and when the request has a prefix:
 * without one, nothing tells this job's objects from any other's in the bucket), then the record.
 */
function storeThenSettle(s: Situation, outcome: Outcome): Step {
  if (!s.logStored && !s.logRefused) return { kind: 'store-log', outcome };
  if (s.logStored && !s.manifestStored && !s.manifestRefused && mayHaveOutputs(outcome) && s.record?.request.prefix) return { kind: 'store-manifest' };
  return { kind: 'settle', outcome };
}

function nextStepOfEnded(s: Situation, record: JobRecord, othersToAnnounce: boolean): Step {
  if (s.job === 'unknown') return { kind: 'read-job' };
  const unrecorded = [...s.published].some((status) => !(record.announced ?? []).includes(status));
  if (s.job === 'present') {
    if (s.orphanWaiting) return { kind: 'wait' };
    // Cancelled by the api (or ended by another worker) while the Job ran: keep its log so far, then stop it.
    if (!record.logObject && !s.logRefused) return storeThenSettle(s, s.outcome!);
    // The Job is the last trace of an announcement not yet made or not yet recorded: it stays until both are done.
    if (othersToAnnounce) return { kind: 'wait' };
    if (unrecorded) return { kind: 'record-announced' };
    // Answered as soon as everything is out; should this worker stop before the release, the Job is adopted.
    if (s.hasDeliveries) return { kind: 'reply' };
    return { kind: 'release-job' };
  }
  if (unrecorded) return { kind: 'record-announced' };
  if (s.hasDeliveries) return { kind: 'reply' };
  // Another writer's announcement is still to be recorded: stay until it is, or until it falls to this worker.
  return othersToAnnounce ? { kind: 'wait' } : { kind: 'forget' };
}
