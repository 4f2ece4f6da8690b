import { describe, expect, it } from '@jest/globals';
import { logObjectName, manifestObjectName } from './job-naming.js';
import { MAX_RECORDED_OUTPUTS, plannedManifestObject, selectOutputs, type JobOutput } from './job-outputs.js';

const ID = '3f1c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11';
const OTHER = '0b7e1d52-4f0e-4a55-8c7e-6f1d2a3b4c5d';
const queuedAt = '2026-12-05T10:00:00.500Z';
const job = (prefix?: string) => ({ jobName: `copy-${ID}`, queuedAt, request: { image: 'mstc/bucket-copy', jobName: 'copy', inputBucket: 'b', outputBucket: 'b', timeOut: 15, ...(prefix && { prefix }) } });
const object = (name: string, lastModified = '2026-12-05T10:00:03.000Z'): JobOutput => ({ name, size: 1, etag: 'e', lastModified });

describe('the manifest name', () => {
  it('sits beside the log: [<prefix>-]<unique Job name>.manifest.json', () => {
    expect(manifestObjectName(`copy-${ID}`)).toBe(`copy-${ID}.manifest.json`);
    expect(manifestObjectName(`copy-${ID}`, 'runs/7')).toBe(`runs/7-copy-${ID}.manifest.json`);
    expect(plannedManifestObject(job('p7'))).toBe(`p7-copy-${ID}.manifest.json`);
    expect(logObjectName(`copy-${ID}`, 'p7')).toBe(`p7-copy-${ID}.log`);
  });
});

describe('selectOutputs', () => {
  it('keeps what was written under the prefix since the job was queued, in key order (as S3 lists: "-" before "/")', () => {
    const listed = [object('p7-z.json'), object('p7/a.bin'), object('p7-b.txt', queuedAt)];
    expect(selectOutputs(job('p7'), listed).map(({ name }) => name)).toEqual(['p7-b.txt', 'p7-z.json', 'p7/a.bin']);
  });

  it('leaves out the inputs uploaded before it was queued', () => {
    const listed = [object('p7-input.csv', '2026-12-05T10:00:00.499Z'), object('p7-result.json')];
    expect(selectOutputs(job('p7'), listed).map(({ name }) => name)).toEqual(['p7-result.json']);
  });

  it('compares whole seconds when the store lists whole seconds, so that no output is lost', () => {
    const listed = [object('p7-same-second.json', '2026-12-05T10:00:00.000Z'), object('p7-second-before.csv', '2026-12-05T09:59:59.000Z')];
    expect(selectOutputs(job('p7'), listed).map(({ name }) => name)).toEqual(['p7-same-second.json']);
  });

  it("leaves out its own log and manifest and any other job's", () => {
    const listed = [
      object(`p7-copy-${ID}.log`),
      object(`p7-copy-${ID}.manifest.json`),
      object(`p7-other-${OTHER}.log`),
      object(`p7-other-${OTHER}.manifest.json`),
      object('p7-result.json'),
    ];
    expect(selectOutputs(job('p7'), listed).map(({ name }) => name)).toEqual(['p7-result.json']);
  });

  it('leaves out names that only begin with the same characters as the prefix', () => {
    expect(selectOutputs(job('p7'), [object('p70-result.json'), object('p7-result.json')]).map(({ name }) => name)).toEqual(['p7-result.json']);
  });

  it('takes nothing without a prefix: other jobs write to the same bucket', () => {
    expect(selectOutputs(job(), [object('result.json'), object(`copy-${ID}.log`)])).toEqual([]);
  });

  it(`lists at most ${MAX_RECORDED_OUTPUTS}`, () => {
    const listed = Array.from({ length: MAX_RECORDED_OUTPUTS + 5 }, (_, i) => object(`p7-${String(i).padStart(5, '0')}`));
    const selected = selectOutputs(job('p7'), listed);
    expect(selected).toHaveLength(MAX_RECORDED_OUTPUTS);
    expect(selected.at(-1)!.name).toBe(`p7-${String(MAX_RECORDED_OUTPUTS - 1).padStart(5, '0')}`);
  });
});
