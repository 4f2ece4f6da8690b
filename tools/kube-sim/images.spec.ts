import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalName, Catalogue, defaultPullPolicy, InvalidImageReference, parseImageReference, REPO_ROOT } from './images.js';

describe('image references', () => {
  it.each([
    ['mstc/python-test', 'docker.io', 'mstc/python-test', undefined, 'docker.io/mstc/python-test:latest'],
    ['busybox:1.36', 'docker.io', 'library/busybox', '1.36', 'docker.io/library/busybox:1.36'],
    ['registry.example.com:5000/team/tool:1.2', 'registry.example.com:5000', 'team/tool', '1.2', 'registry.example.com:5000/team/tool:1.2'],
    ['localhost/x', 'localhost', 'x', undefined, 'localhost/x:latest'],
  ])('%s', (reference, domain, path, tag, canonical) => {
    const ref = parseImageReference(reference);
    expect(ref).toMatchObject({ domain, path, tag });
    expect(canonicalName(ref)).toBe(canonical);
  });

  it('reads digests', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImageReference(`mstc/x:1@${digest}`)).toMatchObject({ path: 'mstc/x', tag: '1', digest });
  });

  it.each(['Mstc/Python', 'mstc/python-test:', 'a b', ' mstc/x', 'mstc//x', 'x@sha256:zz'])('refuses %j', (reference) => {
    expect(() => parseImageReference(reference)).toThrow(InvalidImageReference);
  });

  it('says why an upper-case repository is invalid, as the runtime does', () => {
    expect(() => parseImageReference('mstc/Python')).toThrow('couldn\'t parse image name "mstc/Python": invalid reference format: repository name must be lowercase');
  });

  it('defaults imagePullPolicy as the API server does', () => {
    expect(defaultPullPolicy('x')).toBe('Always');
    expect(defaultPullPolicy('x:latest')).toBe('Always');
    expect(defaultPullPolicy('x:1')).toBe('IfNotPresent');
  });
});

describe('the image catalogue', () => {
  const catalogue = new Catalogue();
  catalogue.add(
    {
      'mstc/tool': { command: ['node', './any.mjs'] },
      'mstc/tool:2': { inProcess: 'sleep-exit' },
      [`mstc/tool@sha256:${'b'.repeat(64)}`]: { inProcess: 'sleep-forever' },
    },
    REPO_ROOT,
  );

  it('prefers a digest, then a tag, then the bare repository', () => {
    expect(catalogue.resolve(parseImageReference(`mstc/tool@sha256:${'b'.repeat(64)}`))?.entry).toEqual({ inProcess: 'sleep-forever' });
    expect(catalogue.resolve(parseImageReference('docker.io/mstc/tool:2'))?.entry).toEqual({ inProcess: 'sleep-exit' });
    expect(catalogue.resolve(parseImageReference('mstc/tool:3'))?.entry).toEqual({ command: ['node', join(REPO_ROOT, 'any.mjs')] });
    expect(catalogue.resolve(parseImageReference('mstc/other'))).toBeUndefined();
  });

  it('resolves paths of a catalogue file against its folder and lets later entries win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalogue-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ 'mstc/tool': { command: ['node', './mine.mjs', 'plain'], cwd: 'work' } }));
    const merged = new Catalogue();
    merged.add({ 'mstc/tool': { inProcess: 'sleep-exit' } }, REPO_ROOT);
    merged.addFile(join(dir, 'c.json'));
    expect(merged.resolve(parseImageReference('mstc/tool'))?.entry).toEqual({ command: ['node', join(dir, 'mine.mjs'), 'plain'], cwd: join(dir, 'work') });
  });

  it('refuses entries that name neither a command nor a built-in', () => {
    expect(() => new Catalogue().add({ 'mstc/x': {} as never }, REPO_ROOT)).toThrow('needs a non-empty "command" list or an "inProcess" name');
  });
});
