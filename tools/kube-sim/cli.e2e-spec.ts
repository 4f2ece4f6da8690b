import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './images.js';
import { startKubeSim } from './index.js';

describe('starting the simulator', () => {
  it('starts in process in well under a second', async () => {
    const started = Date.now();
    const sim = await startKubeSim();
    const elapsed = Date.now() - started;
    await sim.stop();
    expect(elapsed).toBeLessThan(500);
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('writes a kubeconfig with insecure-skip-tls-verify and the chosen namespace', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kubeconfig-')), 'nested', 'config');
    const sim = await startKubeSim({ kubeconfigPath: path, namespace: 'work' });
    await sim.stop();
    const config = parse(readFileSync(path, 'utf8'));
    expect(readFileSync(path, 'utf8')).toBe(sim.kubeconfig);
    expect(config.clusters[0].cluster).toEqual({ server: sim.url, 'insecure-skip-tls-verify': true });
    expect(config.contexts[0].context.namespace).toBe('work');
    expect(sim.get('namespaces', undefined, 'work')).toMatchObject({ status: { phase: 'Active' } });
  });

  it('runs from the command line until SIGTERM', async () => {
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'kube-sim-cli-')), 'kubeconfig');
    const child = spawn(join(REPO_ROOT, 'node_modules/.bin/tsx'), ['tools/kube-sim/main.ts', '--port', '0', '--kubeconfig', kubeconfig, '--timing', 'scheduleMs=1'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start within 10 s: ${output}`)), 10_000);
      child.stdout.on('data', () => {
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+) \(started in (\d+) ms\)/.exec(output);
        if (!match) return;
        clearTimeout(timer);
        expect(Number(match[2])).toBeLessThan(1000);
        resolve(match[1]);
      });
    });
    expect(await (await fetch(`${url}/version`)).json()).toMatchObject({ major: '1', minor: '32' });
    expect(parse(readFileSync(kubeconfig, 'utf8')).clusters[0].cluster.server).toBe(url);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('refuses unknown timing knobs', async () => {
    const child = spawn(join(REPO_ROOT, 'node_modules/.bin/tsx'), ['tools/kube-sim/main.ts', '--port', '0', '--timing', 'nope=1'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(errors).toContain('--timing nope=1: expected NAME=MS');
  });
});
