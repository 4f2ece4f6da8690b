import { afterEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keptToken, tokenListEntry } from './api-tokens.js';

describe('local api tokens', () => {
  const dirs: string[] = [];
  afterEach(async () => Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true }))));
  const tokenFile = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'api-tokens-'));
    dirs.push(dir);
    return join(dir, 'token');
  };

  it('lists a token by its SHA-256 only', () => {
    expect(tokenListEntry('alice', ['read'], 's3cret')).toEqual({ name: 'alice', roles: ['read'], sha256: createHash('sha256').update('s3cret').digest('hex') });
  });

  it('makes a token once, readable by its owner only, and reuses it after', async () => {
    const path = await tokenFile();
    const first = await keptToken(path);
    expect(first.created).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(path, 'utf8')).trim()).toBe(first.token);
    expect(await keptToken(path)).toEqual({ token: first.token, created: false });
  });

  it('keeps a token the user put there, and makes its file private', async () => {
    const path = await tokenFile();
    await writeFile(path, 'my-own-token\n', { mode: 0o644 });
    expect(await keptToken(path)).toEqual({ token: 'my-own-token', created: false });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});
