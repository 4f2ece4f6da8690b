import { describe, expect, it } from '@jest/globals';
import { countsAfterChange } from './live-counts.js';

const counts = { all: 10, queued: 2, running: 3, succeeded: 4, failed: 1, timed_out: 0, cancelled: 0 };

describe('the tab counts between two summaries', () => {
  it('add a new job to queued and to all', () => {
    expect(countsAfterChange(counts, undefined, 'queued')).toEqual({ ...counts, all: 11, queued: 3 });
  });

  it('move a shown job from the status of its row', () => {
    expect(countsAfterChange(counts, 'queued', 'cancelled')).toEqual({ ...counts, queued: 1, cancelled: 1 });
  });

  it('move a job not shown from the status before in the usual course', () => {
    expect(countsAfterChange(counts, undefined, 'running')).toEqual({ ...counts, queued: 1, running: 4 });
    expect(countsAfterChange(counts, undefined, 'failed')).toEqual({ ...counts, running: 2, failed: 2 });
  });

  it('leave them as they are for a change seen twice, and never below zero', () => {
    expect(countsAfterChange(counts, 'running', 'running')).toBe(counts);
    expect(countsAfterChange({ ...counts, running: 0 }, undefined, 'succeeded')).toMatchObject({ running: 0, succeeded: 5 });
  });
});
