import { describe, expect, it } from '@jest/globals';
import { announcementsDue, applyStatusChange, recordAsOf, type JobRecord, type JobStatus } from './job-record.js';
import { buildReply, resultSentence } from './reply.js';

function record(status: JobStatus, extra: Partial<JobRecord> = {}): JobRecord {
  return {
    id: 'id-1',
    jobName: 'test-job-id-1',
    status,
    request: { image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'in.bucket', outputBucket: 'in.bucket', timeOut: 15 },
    outputBucket: 'in.bucket',
    logObject: null,
    reason: null,
    exitCode: null,
    queuedAt: '2026-01-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

const at = '2026-01-01T00:01:00.000Z';

describe('applyStatusChange', () => {
  it('moves queued to running and stamps the start', () => {
    const { outcome, record: next } = applyStatusChange(record('queued'), { status: 'running', at });
    expect(outcome).toBe('applied');
    expect(next).toMatchObject({ status: 'running', startedAt: at, finishedAt: null, updatedAt: at });
  });

  it('ends a running job with its reason, exit code and log', () => {
    const running = record('running', { startedAt: at });
    const end = '2026-01-01T00:02:00.000Z';
    const { outcome, record: next } = applyStatusChange(running, { status: 'failed', at: end, reason: 'Error', exitCode: 3, logObject: 'x.log' });
    expect(outcome).toBe('applied');
    expect(next).toMatchObject({ status: 'failed', reason: 'Error', exitCode: 3, logObject: 'x.log', startedAt: at, finishedAt: end });
  });

  it('lets a queued job be cancelled before it starts', () => {
    expect(applyStatusChange(record('queued'), { status: 'cancelled', at }).record).toMatchObject({ status: 'cancelled', startedAt: null, finishedAt: at });
  });

  it.each(['succeeded', 'failed', 'timed_out', 'cancelled'] as const)('never leaves the terminal status %s', (terminal) => {
    const settled = record(terminal, { finishedAt: at });
    for (const status of ['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled'] as const) {
      const result = applyStatusChange(settled, { status, at: '2026-01-02T00:00:00.000Z' });
      expect(result.record).toBe(settled);
      expect(result.outcome).toBe(status === terminal ? 'unchanged' : 'rejected');
    }
  });

  it('does not move back from running to queued', () => {
    const running = record('running');
    expect(applyStatusChange(running, { status: 'queued', at })).toEqual({ outcome: 'rejected', record: running });
  });

  it('keeps a late log of a cancelled job without changing its status', () => {
    const cancelled = record('cancelled', { finishedAt: at });
    const result = applyStatusChange(cancelled, { status: 'succeeded', at, logObject: 'late.log', exitCode: 0 });
    expect(result.outcome).toBe('rejected');
    expect(result.record).toMatchObject({ status: 'cancelled', logObject: 'late.log', exitCode: null });
  });

  const outputs = [{ name: 'p-result.json', size: 12, etag: 'abc', lastModified: at }];

  it('records the outputs and their manifest with the end', () => {
    const result = applyStatusChange(record('running', { startedAt: at }), { status: 'succeeded', at, logObject: 'x.log', outputs, manifestObject: 'x.manifest.json' });
    expect(result.record).toMatchObject({ status: 'succeeded', outputs, manifestObject: 'x.manifest.json' });
  });

  it('learns late outputs of a cancelled job, and keeps the first ones learnt', () => {
    const cancelled = record('cancelled', { finishedAt: at });
    const learnt = applyStatusChange(cancelled, { status: 'cancelled', at, outputs, manifestObject: 'x.manifest.json' });
    expect(learnt).toMatchObject({ outcome: 'unchanged', record: { outputs, manifestObject: 'x.manifest.json', updatedAt: at } });
    const again = applyStatusChange(learnt.record, { status: 'cancelled', at, outputs: [], manifestObject: null });
    expect(again.record).toBe(learnt.record);
  });

  it('keeps no outputs on a record that has none to learn', () => {
    expect(applyStatusChange(record('running'), { status: 'failed', at })).not.toHaveProperty('record.outputs');
  });
});

describe('replies', () => {
  it.each([
    ['succeeded', null, 'Job test-job-id-1 complete.'],
    ['failed', 'ImagePullBackOff', 'Job test-job-id-1 failed: ImagePullBackOff.'],
    ['timed_out', 'DeadlineExceeded', 'Job test-job-id-1 timed out.'],
    ['cancelled', null, 'Job test-job-id-1 cancelled.'],
  ] as const)('words a %s job so that the second word is the Job name', (status, reason, sentence) => {
    expect(resultSentence(record(status, { reason }))).toBe(sentence);
    expect(sentence.split(' ')[1]).toBe('test-job-id-1');
  });

  it('gives the exit code of a failed job', () => {
    expect(resultSentence(record('failed', { reason: 'Error', exitCode: 3 }))).toBe('Job test-job-id-1 failed: Error (exit code 3).');
  });

  it('carries the structured fields', () => {
    const done = record('succeeded', { exitCode: 0, logObject: 'test-job-id-1.log', startedAt: at, finishedAt: at });
    expect(buildReply(done)).toEqual({
      result: 'Job test-job-id-1 complete.',
      id: 'id-1',
      jobName: 'test-job-id-1',
      status: 'succeeded',
      reason: null,
      exitCode: 0,
      outputBucket: 'in.bucket',
      logObject: 'test-job-id-1.log',
      queuedAt: '2026-01-01T00:00:00.000Z',
      startedAt: at,
      finishedAt: at,
    });
  });
});

describe('the outbox of announcements', () => {
  const ended = record('succeeded', { startedAt: at, finishedAt: at, exitCode: 0, logObject: 'x.log', announced: ['queued'] });

  it('adds the statuses announced since the last write, in status order, even when the status stays', () => {
    const result = applyStatusChange(ended, { status: 'succeeded', at, announced: ['succeeded', 'running'] });
    expect(result).toMatchObject({ outcome: 'unchanged', record: { announced: ['queued', 'running', 'succeeded'] } });
  });

  it('declares the new status announced with the write that applies it, and only then', () => {
    const running = record('running', { startedAt: at, announced: ['queued'] });
    const declared = { status: 'succeeded' as const, at, announced: ['running' as const], declaresAnnounced: true };
    expect(applyStatusChange(running, declared).record.announced).toEqual(['queued', 'running', 'succeeded']);
    expect(applyStatusChange(record('cancelled', { announced: ['queued'] }), declared)).toMatchObject({ outcome: 'rejected', record: { announced: ['queued', 'running'] } });
  });

  it('writes nothing new when every status given was announced already', () => {
    expect(applyStatusChange(ended, { status: 'succeeded', at, announced: ['queued'] }).record).toBe(ended);
  });

  it('lists what is still to be announced: statuses reached, less those announced or just published', () => {
    expect(announcementsDue(ended)).toEqual(['running', 'succeeded']);
    expect(announcementsDue(ended, new Set(['running']))).toEqual(['succeeded']);
    expect(announcementsDue(record('cancelled', { announced: ['queued'] }))).toEqual(['cancelled']);
    expect(announcementsDue(record('queued', { announced: [] }))).toEqual(['queued']);
  });

  it('counts a record from before the outbox as fully announced', () => {
    expect(announcementsDue(record('succeeded', { startedAt: at }))).toEqual([]);
    expect(applyStatusChange(record('running', { startedAt: at }), { status: 'succeeded', at, announced: ['running'] }).record.announced).toBeUndefined();
  });

  it('shows the record as it was at an earlier status, for an event announced late', () => {
    expect(recordAsOf(ended, 'running')).toEqual({ ...ended, status: 'running', exitCode: null, logObject: null, finishedAt: null, updatedAt: at, announced: undefined });
    expect(recordAsOf(ended, 'queued')).toMatchObject({ status: 'queued', startedAt: null, updatedAt: ended.queuedAt });
    expect(recordAsOf(ended, 'succeeded')).toBe(ended);
  });

  it('shows no outputs at an earlier status', () => {
    const withOutputs = { ...ended, outputs: [], manifestObject: null };
    expect(recordAsOf(withOutputs, 'running')).not.toHaveProperty('outputs');
    expect(recordAsOf(withOutputs, 'running')).not.toHaveProperty('manifestObject');
  });
});
