import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from './exit-codes.js';
import { resolveSettings } from './settings.js';

describe('settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-settings-'));
  mkdirSync(join(dir, '.local'));
  writeFileSync(join(dir, '.local', 'token'), 'local-token\n');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('default to the local stack: npm run dev\'s api and its token file', () => {
    const settings = resolveSettings({ flags: {}, env: {}, cwd: dir });
    expect(settings.api.href).toBe('http://localhost:3000/');
    expect(settings.token).toBe('local-token');
  });

  it('take the environment over the defaults, and flags over the environment', () => {
    const env = { CLOUD_WORKER_API: 'https://cw.example.com/base', CLOUD_WORKER_TOKEN: 'env-token' };
    expect(resolveSettings({ flags: {}, env, cwd: dir })).toMatchObject({ api: new URL('https://cw.example.com/base'), token: 'env-token' });
    expect(resolveSettings({ flags: { api: 'http://other:8080', token: 'flag-token' }, env, cwd: dir })).toMatchObject({ api: new URL('http://other:8080'), token: 'flag-token' });
  });

  it('find the token file under LOCAL_DIR, and go without one where there is none', () => {
    expect(resolveSettings({ flags: {}, env: { LOCAL_DIR: join(dir, 'elsewhere') }, cwd: dir }).token).toBeUndefined();
    expect(resolveSettings({ flags: {}, env: {}, cwd: tmpdir() }).token).toBeUndefined();
  });

  it.each(['localhost:3000/x y', 'ftp://host/', 'not a url'])('refuse the api address %s as a usage error', (api) => {
    expect(() => resolveSettings({ flags: { api }, env: {}, cwd: dir })).toThrow(expect.objectContaining({ exitCode: ExitCode.USAGE }));
  });
});
