import { describe, expect, it } from '@jest/globals';
import type { JobRecord } from '../../../libs/contracts/src/job-record.js';
import pc from 'picocolors';
import { formatAge, formatBytes, formatDuration, jobTable, json, recordText, table } from './format.js';

const plain = pc.createColors(false);
const colored = pc.createColors(true);
const NOW = Date.parse('2026-12-05T13:00:00.000Z');

function record(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id: '5d0c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11',
    jobName: 'nap-5d0c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11',
    status: 'succeeded',
    request: { image: 'mstc/sleep', jobName: 'nap', inputBucket: 'naps', outputBucket: 'naps', timeOut: 15, prefix: 'run-1' },
    outputBucket: 'naps',
    logObject: 'run-1-nap-5d0c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11.log',
    reason: null,
    exitCode: 0,
    queuedAt: '2026-12-05T12:58:00.000Z',
    startedAt: '2026-12-05T12:58:01.000Z',
    finishedAt: '2026-12-05T12:58:05.500Z',
    updatedAt: '2026-12-05T12:58:05.500Z',
    owner: 'alice',
    ...overrides,
  };
}

describe('formatting', () => {
  it('aligns a table by what shows, whatever the colours', () => {
    const rows = [
      [colored.green('succeeded'), 'a'],
      [colored.red('failed'), 'bb'],
    ];
    const lines = table(['STATUS', 'X'], rows, plain).split('\n').map((line) => line.replace(/\x1b\[[0-9;]*m/g, ''));
    expect(lines).toEqual(['STATUS     X', 'succeeded  a', 'failed     bb']);
  });

  it('lists jobs with id, name, status, reason, exit code, age, duration and image', () => {
    const text = jobTable([record(), record({ id: '6e1d…', status: 'failed', reason: 'Error', exitCode: 3 }), record({ id: '7f2e…', status: 'queued', startedAt: null, finishedAt: null, exitCode: null, logObject: null })], plain, NOW);
    expect(text.split('\n')).toEqual([
      'ID                                    NAME  STATUS     REASON  EXIT  SUBMITTED  DURATION  IMAGE',
      '5d0c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11  nap   succeeded          0     2 min ago  4.5 s     mstc/sleep',
      '6e1d…                                 nap   failed     Error   3     2 min ago  4.5 s     mstc/sleep',
      '7f2e…                                 nap   queued                   2 min ago            mstc/sleep',
    ]);
  });

  it('prints no escape codes without colour, and colours the status with it', () => {
    expect(jobTable([record()], plain, NOW)).not.toMatch(/\x1b/);
    expect(jobTable([record()], colored, NOW)).toContain(colored.green('succeeded'));
  });

  it('shows a record field by field, leaving out what has no value', () => {
    const text = recordText({ ...record({ reason: null }), outputs: [{ name: 'run-1-result.json', size: 1500, etag: 'e', lastModified: '2026-12-05T12:58:05.000Z' }] }, plain, NOW);
    expect(text).toContain('status:        succeeded');
    expect(text).toContain('exit code:     0');
    expect(text).toContain('duration:      4.5 s');
    expect(text).toContain('outputs:       run-1-result.json (1.5 kB)');
    expect(text).not.toContain('reason');
  });

  it('gives durations, sizes and ages in units people read', () => {
    expect([formatDuration(850), formatDuration(4200), formatDuration(192_000), formatDuration(7_500_000)]).toEqual(['850 ms', '4.2 s', '3 min 12 s', '2 h 5 min']);
    expect([formatBytes(512), formatBytes(1500), formatBytes(52_428_800), formatBytes(5 * 1024 ** 3)]).toEqual(['512 B', '1.5 kB', '52.4 MB', '5.4 GB']);
    expect(formatAge('2026-12-05T12:59:55.000Z', NOW)).toBe('5 s ago');
    expect(formatAge('2026-12-03T12:00:00.000Z', NOW)).toBe('2 d ago');
  });

  it('prints JSON with the api\'s field names, indented, and nothing else', () => {
    const text = json(record());
    expect(JSON.parse(text)).toEqual(record());
    expect(text.split('\n')[1]).toBe('  "id": "5d0c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11",');
  });
});
