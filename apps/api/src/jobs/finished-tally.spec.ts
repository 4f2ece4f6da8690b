import { describe, expect, it } from '@jest/globals';
import type { JobRecord } from '@app/contracts';
import { FinishedTally } from './finished-tally.js';

const NOW = Date.parse('2026-12-05T12:30:20.000Z');
const ended = (id: string, status: JobRecord['status'], finishedAt: string | null, owner?: string) => ({ id, status, finishedAt, owner });

describe('FinishedTally', () => {
  it('answers the last 60 minutes, oldest first, the current minute last', () => {
    const series = new FinishedTally().series(NOW);
    expect(series).toHaveLength(60);
    expect(series[0]).toEqual({ minute: '2026-12-05T11:31:00.000Z', succeeded: 0, failed: 0, timed_out: 0, cancelled: 0 });
    expect(series.at(-1)!.minute).toBe('2026-12-05T12:30:00.000Z');
  });

  it('counts each ended job once, in the minute of its end, by how it ended', () => {
    const tally = new FinishedTally();
    expect(tally.add(ended('a', 'succeeded', '2026-12-05T12:30:01.000Z', 'alice'), NOW)).toBe(true);
    expect(tally.add(ended('a', 'succeeded', '2026-12-05T12:30:01.000Z', 'alice'), NOW)).toBe(false);
    tally.add(ended('b', 'failed', '2026-12-05T12:30:59.999Z', 'bob'), NOW);
    tally.add(ended('c', 'timed_out', '2026-12-05T12:29:00.000Z', 'alice'), NOW);
    tally.add(ended('d', 'cancelled', '2026-12-05T11:31:00.000Z'), NOW);
    const series = tally.series(NOW);
    expect(series.at(-1)).toMatchObject({ succeeded: 1, failed: 1, timed_out: 0, cancelled: 0 });
    expect(series.at(-2)).toMatchObject({ timed_out: 1 });
    expect(series[0]).toMatchObject({ cancelled: 1 });
  });

  it('ignores jobs not ended and ends outside the window', () => {
    const tally = new FinishedTally();
    expect(tally.add(ended('q', 'running', null), NOW)).toBe(false);
    expect(tally.add(ended('old', 'succeeded', '2026-12-05T11:30:59.999Z'), NOW)).toBe(false);
    expect(tally.add(ended('future', 'succeeded', '2026-12-05T12:31:00.000Z'), NOW)).toBe(false);
    expect(tally.series(NOW).every((minute) => minute.succeeded + minute.failed + minute.timed_out + minute.cancelled === 0)).toBe(true);
  });

  it("answers one owner's jobs, or every owner's", () => {
    const tally = new FinishedTally();
    tally.add(ended('a', 'succeeded', '2026-12-05T12:30:01.000Z', 'alice'), NOW);
    tally.add(ended('b', 'succeeded', '2026-12-05T12:30:02.000Z', 'bob'), NOW);
    expect(tally.series(NOW, 'alice').at(-1)!.succeeded).toBe(1);
    expect(tally.series(NOW).at(-1)!.succeeded).toBe(2);
    expect(tally.series(NOW, 'carol').at(-1)!.succeeded).toBe(0);
  });

  it('lets minutes go as the window moves on, and forgets the jobs counted in them', () => {
    const tally = new FinishedTally();
    tally.add(ended('a', 'succeeded', '2026-12-05T11:31:30.000Z'), NOW);
    const anHourLater = NOW + 60 * 60_000;
    expect(tally.series(anHourLater).every((minute) => minute.succeeded === 0)).toBe(true);
    // Forgotten, so a late copy of its end, outside the window, is not counted either.
    expect(tally.add(ended('a', 'succeeded', '2026-12-05T11:31:30.000Z'), anHourLater)).toBe(false);
  });
});
