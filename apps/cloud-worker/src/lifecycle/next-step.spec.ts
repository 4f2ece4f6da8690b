import { describe, expect, it } from '@jest/globals';
import { newJobRecord, type JobRecord, type JobStatus } from '@app/contracts';
import { nextStep, type Situation, type StepKind } from './next-step.js';
import { cancelled, timedOut, type Outcome } from './outcome.js';

const at = '2026-01-01T00:00:00.000Z';
const request = { id: '3f1c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11', image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'in.bucket', outputBucket: 'in.bucket', timeOut: 15, prefix: 'p7' };
const succeeded: Outcome = { status: 'succeeded', reason: null, exitCode: 0, podNames: ['pod-1'], deleteJob: false };

function record(status: JobStatus, extra: Partial<JobRecord> = {}): JobRecord {
  const started = status !== 'queued' && status !== 'cancelled' ? { startedAt: at } : {};
  return { ...newJobRecord(request, 'mstc', at, ['queued']), status, ...started, ...extra };
}

function situation(overrides: Partial<Situation> = {}): Situation {
  return {
    record: record('running', { announced: ['queued', 'running'] }),
    recordStale: false,
    hasDeliveries: true,
    conflicting: false,
    job: 'present',
    sawJob: true,
    outcome: undefined,
    observed: {},
    published: new Set(),
    // By default this worker made every change, so every event is its own to publish.
    applied: new Set(['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled']),
    othersHadTheirTime: false,
    endUnconfirmed: false,
    credentialsMissing: false,
    logStored: false,
    logRefused: false,
    manifestStored: false,
    manifestRefused: false,
    orphanWaiting: false,
    deadLetter: false,
    ...overrides,
  };
}

const ended = (status: JobStatus, extra: Partial<JobRecord> = {}) =>
  record(status, { announced: ['queued', 'running', status], logObject: 'test-job.log', finishedAt: at, ...extra });

describe('nextStep', () => {
  it.each<[string, Partial<Situation>, StepKind]>([
    // A message arrives.
    ['reads the record first', { recordStale: true }, 'read-record'],
    ['makes a record for a request sent straight to RabbitMQ', { record: undefined }, 'create-record'],
    ['forgets a Job whose record does not exist and that nobody asked for', { record: undefined, hasDeliveries: false }, 'forget'],
    ['refuses a message whose id belongs to other work', { conflicting: true }, 'reject-conflicts'],
    ['announces a queued record it made itself', { record: record('queued', { announced: [] }), job: 'unknown' }, 'announce'],
    ['creates (or adopts) the Job of a queued request', { record: record('queued'), job: 'unknown' }, 'create-job'],
    ['marks the request running once its Job is there', { record: record('queued'), job: 'present' }, 'mark-running'],
    ['reads the Job of a running request it has seen the Job of', { job: 'unknown' }, 'read-job'],
    ['creates (or adopts) the Job of a running request redelivered: its worker may have stopped before the Job', { job: 'unknown', sawJob: false }, 'create-job'],
    ['leaves a running record whose Job it never saw to the holder of its message (it may not be made yet)', { job: 'absent', sawJob: false, hasDeliveries: false, observed: { outcome: { ...succeeded, status: 'failed', reason: 'JobDeleted', exitCode: null } } }, 'forget'],
    ['records what it announced of a request it lets go of before the next holder takes it', { job: 'absent', sawJob: false, hasDeliveries: false, published: new Set(['queued', 'running'] as const) }, 'record-announced'],
    ['ends a Job it saw and finds gone as deleted, and does not make it again', { job: 'absent', observed: { outcome: { ...succeeded, status: 'failed', reason: 'JobDeleted', exitCode: null } } }, 'store-log'],
    // Per-Job S3 credentials (JOB_S3_CREDENTIALS=sts): the Secret comes once the Job that owns it is there.
    ['gives a new Job its credentials before marking it running', { record: record('queued'), job: 'present', credentialsMissing: true }, 'create-credentials'],
    ['gives an adopted running Job its credentials (a Secret that exists is reused)', { credentialsMissing: true }, 'create-credentials'],
    ['creates the Job before its credentials', { record: record('queued'), job: 'unknown', credentialsMissing: true }, 'create-job'],
    ['stores the log of a Job that ended without its credentials', { outcome: succeeded, credentialsMissing: true }, 'store-log'],
    ['leaves a queued request without a Job to whoever holds its message', { record: record('queued'), job: 'absent', hasDeliveries: false }, 'forget'],
    // While the Job runs.
    ['announces running when that event has not gone out', { record: record('running', { announced: ['queued'] }) }, 'announce'],
    ['waits while the Job runs', {}, 'wait'],
    ['reads the Job when its pods cannot tell', { observed: { needJob: true } }, 'read-job'],
    // The Job has ended.
    ['stores the log first', { observed: { outcome: succeeded } }, 'store-log'],
    ['then lists the outputs and stores their manifest', { observed: { outcome: succeeded }, logStored: true }, 'store-manifest'],
    ['then settles the record', { observed: { outcome: succeeded }, logStored: true, manifestStored: true }, 'settle'],
    ['settles without a log the store refused, and lists no outputs without it', { outcome: succeeded, logRefused: true }, 'settle'],
    ['settles without the outputs when the store refused them', { outcome: succeeded, logStored: true, manifestRefused: true }, 'settle'],
    ['lists nothing for a Job whose container never ran', { outcome: { ...succeeded, status: 'failed', podNames: [] }, logStored: true }, 'settle'],
    ['lists no outputs without a prefix: nothing tells its objects from other jobs\'', { record: record('running', { announced: ['queued', 'running'], request: { ...request, prefix: undefined } }), observed: { outcome: succeeded }, logStored: true }, 'settle'],
    ['lists the outputs of a timed-out Job too', { outcome: timedOut(['pod-1']), logStored: true }, 'store-manifest'],
    ['keeps the outcome decided first, whatever the pods say now', { outcome: timedOut(['pod-1']), observed: {} }, 'store-log'],
    ['lets the worker holding the request finish an ended Job first', { observed: { outcome: succeeded }, hasDeliveries: false, orphanWaiting: true }, 'wait'],
    ['ends a request whose Job was refused without creating it again', { record: record('queued'), job: 'absent', outcome: { ...succeeded, status: 'failed', podNames: [] } }, 'store-log'],
    ['reads the record again when its Job was collected by another worker', { job: 'collected' }, 'read-record'],
    // The record has ended.
    ['announces the end', { record: ended('succeeded', { announced: ['queued', 'running'] }) }, 'announce'],
    ['records the announcement before the Job may go', { record: ended('succeeded', { announced: ['queued', 'running'] }), published: new Set(['succeeded']) }, 'record-announced'],
    ['answers and acknowledges once everything is out, before the release', { record: ended('succeeded') }, 'reply'],
    ['then releases the Job', { record: ended('succeeded'), hasDeliveries: false }, 'release-job'],
    ['answers a request whose Job is released already', { record: ended('succeeded'), job: 'collected' }, 'reply'],
    ['announces its own end declared with the write that ended the record', { record: ended('succeeded'), endUnconfirmed: true }, 'announce'],
    ['announces an end declared by a writer who left the Job behind, once it has had its time', { record: ended('succeeded'), endUnconfirmed: true, applied: new Set(), othersHadTheirTime: true }, 'announce'],
    ['keeps the Job while such an end waits for its writer', { record: ended('succeeded'), endUnconfirmed: true, applied: new Set() }, 'wait'],
    ['forgets the request once answered', { record: ended('succeeded'), job: 'collected', hasDeliveries: false }, 'forget'],
    ['answers a request whose Job is gone', { record: ended('succeeded'), job: 'absent' }, 'reply'],
    ['reads the Job of an ended request', { record: ended('succeeded'), job: 'unknown' }, 'read-job'],
    ['keeps the log so far of a Job cancelled while it ran', { record: ended('cancelled', { logObject: null }), outcome: cancelled(['pod-1']) }, 'store-log'],
    ['lists the outputs of a Job cancelled while it ran', { record: ended('cancelled', { logObject: null }), outcome: cancelled(['pod-1']), logStored: true }, 'store-manifest'],
    ['records the log and outputs of a cancelled Job', { record: ended('cancelled', { logObject: null }), outcome: cancelled(['pod-1']), logStored: true, manifestStored: true }, 'settle'],
    ['announces a cancel whose event the api could not publish', { record: ended('cancelled', { announced: ['queued'] }), outcome: cancelled([]) }, 'announce'],
    ['leaves an ended Job to the worker holding it during the grace period', { record: ended('succeeded'), hasDeliveries: false, orphanWaiting: true }, 'wait'],
    ['announces nothing for a record from before the outbox', { record: ended('succeeded', { announced: undefined }), hasDeliveries: false }, 'release-job'],
    // Announcements of other writers (another worker, the api).
    ['leaves an end another writer reached to it to announce', { record: ended('succeeded', { announced: ['queued', 'running'] }), applied: new Set(), job: 'collected', hasDeliveries: false }, 'wait'],
    ['goes on with its own steps meanwhile', { record: record('running', { announced: ['queued'] }), applied: new Set() }, 'wait'],
    ['announces it once the writer has had its time', { record: ended('succeeded', { announced: ['queued', 'running'] }), applied: new Set(), othersHadTheirTime: true }, 'announce'],
    ['records what it published before it forgets the request', { record: ended('succeeded', { announced: ['queued', 'succeeded'] }), published: new Set(['running']), job: 'collected', hasDeliveries: false }, 'record-announced'],
    // Giving up.
    ['dead-letters the messages of a request that cannot go on', { deadLetter: true }, 'dead-letter'],
    ['dead-letters even when the record, which could not be read, is still to be read', { deadLetter: true, recordStale: true, record: undefined }, 'dead-letter'],
  ])('%s', (_, overrides, expected) => {
    expect(nextStep(situation(overrides)).kind).toBe(expected);
  });

  it('announces the statuses due together, in order', () => {
    expect(nextStep(situation({ record: ended('failed', { announced: [] }) }))).toEqual({ kind: 'announce', statuses: ['queued', 'running', 'failed'] });
    expect(nextStep(situation({ record: ended('failed', { announced: [] }), published: new Set(['queued']) }))).toEqual({ kind: 'announce', statuses: ['running', 'failed'] });
    // Only its own: the running event another writer owes is left to it until it has had its time.
    expect(nextStep(situation({ record: ended('failed', { announced: ['queued'] }), applied: new Set(['failed']) }))).toEqual({ kind: 'announce', statuses: ['failed'] });
  });

  it('stores the log, then the outputs, and settles with the one outcome', () => {
    const outcome = timedOut(['pod-1']);
    expect(nextStep(situation({ outcome }))).toEqual({ kind: 'store-log', outcome });
    expect(nextStep(situation({ outcome, logStored: true }))).toEqual({ kind: 'store-manifest' });
    expect(nextStep(situation({ outcome, logStored: true, manifestStored: true }))).toEqual({ kind: 'settle', outcome });
  });
});
