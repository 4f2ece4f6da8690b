import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from './exit-codes.js';
import { collectInputs, keyPath, outputPath } from './transfer.js';

describe('inputs and outputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-transfer-'));
  mkdirSync(join(dir, 'data', 'sub'), { recursive: true });
  mkdirSync(join(dir, 'other', 'data'), { recursive: true });
  writeFileSync(join(dir, 'data', 'a.txt'), 'aaa');
  writeFileSync(join(dir, 'data', 'sub', 'b.bin'), 'bbbbb');
  writeFileSync(join(dir, 'config.json'), '{}');
  writeFileSync(join(dir, 'other', 'data', 'a.txt'), 'c');
  symlinkSync(join(dir, 'config.json'), join(dir, 'data', 'linked.json'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('upload folders whole and files as themselves, each under the prefix with its base name, as cp -r copies', async () => {
    const files = await collectInputs([join(dir, 'data'), join(dir, 'config.json')], 'run-1');
    expect(files.map(({ key, size }) => [key, size])).toEqual([
      ['run-1/data/a.txt', 3],
      ['run-1/data/linked.json', 2],
      ['run-1/data/sub/b.bin', 5],
      ['run-1/config.json', 2],
    ]);
  });

  it('refuse two inputs that would land on one name, and a path that is not there', async () => {
    await expect(collectInputs([join(dir, 'data'), join(dir, 'other', 'data')], 'p')).rejects.toMatchObject({ exitCode: ExitCode.USAGE, message: expect.stringContaining('would both be uploaded as p/data/a.txt') });
    await expect(collectInputs([join(dir, 'missing')], 'p')).rejects.toMatchObject({ exitCode: ExitCode.USAGE, message: expect.stringContaining('no such file or folder') });
  });

  it('escape each segment of an object name in a URL path, keeping the slashes', () => {
    expect(keyPath('run 1/data/a#b?.txt')).toBe('run%201/data/a%23b%3F.txt');
  });

  it('save an output under --out by its name, and never outside it', () => {
    expect(outputPath('/tmp/out', 'run-1/result.json')).toBe('/tmp/out/run-1/result.json');
    expect(outputPath('results', 'run-1-result.json')).toBe('results/run-1-result.json');
    for (const name of ['../escape', 'a/../../escape', '/etc/passwd', 'a\\b', '']) {
      expect(() => outputPath('/tmp/out', name)).toThrow(expect.objectContaining({ exitCode: ExitCode.API_ERROR }));
    }
  });
});
