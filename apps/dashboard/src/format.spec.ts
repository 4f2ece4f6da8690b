import { describe, expect, it } from '@jest/globals';
import { formatAge, formatBytes, formatDuration, runDuration } from './format.js';

describe('the dashboard formats', () => {
  it.each([
    [0, '0 ms'],
    [850, '850 ms'],
    [42_400, '42 s'],
    [185_000, '3 min 5 s'],
    [180_000, '3 min'],
    [2 * 3600_000 + 4 * 60_000, '2 h 4 min'],
    [3 * 86_400_000 + 3600_000, '3 d 1 h'],
  ])('%i ms reads %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

  it('says how long ago, never in the future', () => {
    expect(formatAge('2026-12-05T10:00:00.000Z', Date.parse('2026-12-05T10:00:05.000Z'))).toBe('5 s ago');
    expect(formatAge('2026-12-05T10:00:05.000Z', Date.parse('2026-12-05T10:00:00.000Z'))).toBe('0 ms ago');
  });

  it('counts a run to its end, or to now while it runs, and not before it started', () => {
    const startedAt = '2026-12-05T10:00:00.000Z';
    expect(runDuration({ startedAt, finishedAt: '2026-12-05T10:00:03.000Z' }, Date.parse('2026-12-05T11:00:00.000Z'))).toBe(3000);
    expect(runDuration({ startedAt, finishedAt: null }, Date.parse('2026-12-05T10:00:07.000Z'))).toBe(7000);
    expect(runDuration({ startedAt: null, finishedAt: null }, Date.now())).toBeNull();
  });

  it.each([
    [812, '812 B'],
    [1536, '1.5 KiB'],
    [52 * 1024 * 1024, '52.0 MiB'],
  ])('%i bytes read %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});
