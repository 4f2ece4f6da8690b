import { describe, expect, it } from '@jest/globals';
import { ApiConfig, WorkerConfig } from '@app/config';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const readme = readFileSync(resolve(import.meta.dirname, '..', 'README.md'), 'utf8');

describe('the README', () => {
  it.each([...new Set([...Object.keys(new ApiConfig()), ...Object.keys(new WorkerConfig())])])('documents the variable %s', (name) => {
    expect(readme).toContain(`\`${name}\``);
  });

  it('names the test command that .ci/run runs', () => {
    const ci = readFileSync(resolve(import.meta.dirname, '..', '.ci', 'run'), 'utf8');
    expect(readme).toContain('npm test');
    expect(ci.trim().split('\n').at(-1)).toBe('npm test');
  });
});
