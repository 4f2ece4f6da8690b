import { describe, expect, it } from '@jest/globals';
import { newJobRecord, type JobRecord, type JobStatus } from '@app/contracts';
import { EventRing, formatEvent, formatReset, JobEventSequence, KEEP_ALIVE, recordEvent, seenRank } from './sse.js';

const ID = '3f1c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11';
const queued = newJobRecord({ id: ID, image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'in', outputBucket: 'out', timeOut: 15 }, 'alice', '2026-01-01T00:00:00.000Z');
const at = (status: JobStatus, id = ID): JobRecord => ({ ...queued, id, status });

describe('event-stream format', () => {
  it('names the status, ids the event <job id>:<status>, and carries the record as one data line', () => {
    const text = formatEvent(recordEvent(at('running')));
    expect(text).toBe(`event: running\nid: ${ID}:running\ndata: ${JSON.stringify(at('running'))}\n\n`);
    expect(text.split('\n').filter((line) => line.startsWith('data: '))).toHaveLength(1);
  });

  it('has keep-alive comments and a reset event that says why', () => {
    expect(KEEP_ALIVE.startsWith(':')).toBe(true);
    expect(formatReset('x:queued')).toMatch(/^event: reset\ndata: \{"reason":"the event x:queued is no longer held; list the jobs again"\}\n\n$/);
  });
});

describe("one job's stream", () => {
  it('sends each newer status once, in order, and is done after a terminal one', () => {
    const sequence = new JobEventSequence(-1);
    expect(sequence.next(at('queued'))?.id).toBe(`${ID}:queued`);
    expect(sequence.next(at('queued'))).toBeUndefined();
    expect(sequence.done).toBe(false);
    expect(sequence.next(at('running'))?.status).toBe('running');
    expect(sequence.next(at('queued'))).toBeUndefined();
    expect(sequence.next(at('succeeded'))?.status).toBe('succeeded');
    expect(sequence.done).toBe(true);
    expect(sequence.next(at('failed'))).toBeUndefined();
  });

  it('resumes after Last-Event-ID without repeating what was seen', () => {
    expect(seenRank(ID, `${ID}:running`)).toBe(1);
    expect(seenRank(ID, `${ID.toUpperCase()}:queued`)).toBe(0);
    const sequence = new JobEventSequence(seenRank(ID, `${ID}:running`));
    expect(sequence.next(at('running'))).toBeUndefined();
    expect(sequence.next(at('cancelled'))?.status).toBe('cancelled');
  });

  it('ignores an id of another job or of no known status', () => {
    expect(seenRank(ID, undefined)).toBe(-1);
    expect(seenRank(ID, 'other:running')).toBe(-1);
    expect(seenRank(ID, `${ID}:sleeping`)).toBe(-1);
    expect(seenRank(ID, 'garbage')).toBe(-1);
  });
});

describe('EventRing', () => {
  const event = (n: number, status: JobStatus = 'queued') => recordEvent(at(status, `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`));

  it('replays the events after an id it holds', () => {
    const ring = new EventRing(10);
    for (let n = 0; n < 5; n++) ring.add(event(n));
    expect(ring.after(event(2).id)?.map((e) => e.id)).toEqual([event(3).id, event(4).id]);
    expect(ring.after(event(4).id)).toEqual([]);
  });

  it('forgets the oldest beyond its capacity: their ids are not held any more', () => {
    const ring = new EventRing(3);
    for (let n = 0; n < 5; n++) ring.add(event(n));
    expect(ring.after(event(1).id)).toBeUndefined();
    expect(ring.after(event(2).id)?.map((e) => e.id)).toEqual([event(3).id, event(4).id]);
  });

  it('keeps a repeated event once', () => {
    const ring = new EventRing(3);
    expect(ring.add(event(1))).toBe(true);
    expect(ring.add(event(1))).toBe(false);
    expect(ring.add(event(1, 'running'))).toBe(true);
    expect(ring.after(event(1).id)?.map((e) => e.status)).toEqual(['running']);
  });
});
