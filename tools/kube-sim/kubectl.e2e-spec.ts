import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from './index.js';
import { eventually } from './spec-helpers.js';

const run = promisify(execFile);

describe('driven by /usr/bin/kubectl', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubectl-spec-'));
  let sim: KubeSim;

  beforeAll(async () => {
    sim = await startKubeSim({
      kubeconfigPath: join(dir, 'kubeconfig'),
      // The real script, with a short sleep so that the test stays fast.
      images: { 'mstc/python-test': { command: ['node', 'tools/kube-sim/catalogue/python-test.mjs'], env: { SLEEP_SECONDS: '0.2' } } },
    });
  });
  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs kubectl against the simulator with a cache of its own (kubectl caches discovery per host for hours). */
  async function kubectl(...args: string[]): Promise<string> {
    const { stdout } = await run('/usr/bin/kubectl', args, {
      env: { ...process.env, KUBECONFIG: sim.kubeconfigPath, KUBECACHEDIR: join(dir, 'cache') },
      timeout: 30_000,
    });
    return stdout;
  }

  async function kubectlFails(...args: string[]): Promise<string> {
    const error = await kubectl(...args).then(
      () => undefined,
      (failure: { stderr: string }) => failure,
    );
    if (!error) throw new Error(`kubectl ${args.join(' ')} succeeded`);
    return error.stderr;
  }

  it('creates a Job with the protobuf body kubectl sends', async () => {
    expect(await kubectl('create', 'job', 'x', '--image=mstc/python-test')).toBe('job.batch/x created\n');
  });

  it('waits for the Job to complete', async () => {
    expect(await kubectl('wait', '--for=condition=complete', 'job/x', '--timeout=20s')).toBe('job.batch/x condition met\n');
  });

  it('lists the Job\'s pods with the real columns', async () => {
    const lines = (await kubectl('get', 'pods', '-l', 'job-name=x')).trimEnd().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^x-[a-z0-9]{5}\s+0\/1\s+Completed\s+0\s+\d+s$/);
  });

  it('lists Jobs with the real columns', async () => {
    const lines = (await kubectl('get', 'jobs')).trimEnd().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(lines[1]).toMatch(/^x\s+Complete\s+1\/1\s+\d+s\s+\d+s$/);
  });

  it('shows the log of the Job, ending in SUCCESS', async () => {
    const log = await kubectl('logs', 'job/x');
    expect(log.startsWith('Started\n')).toBe(true);
    expect(log).toContain('SLEEP_SECONDS: 0.2');
    expect(log.trimEnd().endsWith('SUCCESS')).toBe(true);
  });

  it('prints Jobs as JSON', async () => {
    const list = JSON.parse(await kubectl('get', 'jobs', '-o', 'json'));
    expect(list.kind).toBe('List');
    const job = list.items.find((item: any) => item.metadata.name === 'x');
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', status: { succeeded: 1 } });
    expect(job.status.conditions.map((c: any) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
  });

  it('applies a Job manifest: created, then configured, then unchanged', async () => {
    const manifest = (ttl: number) =>
      [
        'apiVersion: batch/v1',
        'kind: Job',
        'metadata:',
        '  name: applied',
        '  labels: {team: sim}',
        'spec:',
        `  ttlSecondsAfterFinished: ${ttl}`,
        '  template:',
        '    spec:',
        '      restartPolicy: Never',
        '      containers:',
        '      - name: main',
        '        image: kube-sim/sleep-exit',
        '        env: [{name: SLEEP_MS, value: "10"}]',
      ].join('\n');
    const file = join(dir, 'job.yaml');
    writeFileSync(file, manifest(600));
    expect(await kubectl('apply', '-f', file)).toBe('job.batch/applied created\n');
    writeFileSync(file, manifest(300));
    expect(await kubectl('apply', '-f', file)).toBe('job.batch/applied configured\n');
    expect(sim.get('jobs', 'default', 'applied').spec.ttlSecondsAfterFinished).toBe(300);
    expect(await kubectl('apply', '-f', file)).toBe('job.batch/applied unchanged\n');
    await kubectl('wait', '--for=condition=complete', 'job/applied', '--timeout=20s');
  });

  it('relays server-side validation errors', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: bad}\nspec:\n  foo: 1\n  template: {spec: {restartPolicy: Never, containers: [{name: c, image: x}]}}\n');
    expect(await kubectlFails('apply', '-f', file)).toContain('strict decoding error: unknown field "spec.foo"');
    expect(await kubectlFails('create', 'job', 'Bad_Name', '--image=x')).toContain('Job.batch "Bad_Name" is invalid');
  });

  it('creates secrets and namespaces', async () => {
    expect(await kubectl('create', 'secret', 'generic', 'creds', '--from-literal=accessKey=minioadmin')).toBe('secret/creds created\n');
    expect(Buffer.from(sim.get('secrets', 'default', 'creds').data.accessKey, 'base64').toString()).toBe('minioadmin');
    expect(await kubectl('create', 'namespace', 'other')).toBe('namespace/other created\n');
    expect(await kubectl('get', 'secrets')).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE\ncreds\s+Opaque\s+1\s+\d+s\n$/);
  });

  it('deletes the Job, and its pods go with it', async () => {
    expect(await kubectl('delete', 'job', 'x')).toBe('job.batch "x" deleted\n');
    expect(sim.requests.find((r) => r.method === 'DELETE' && r.name === 'x')).toMatchObject({ verb: 'delete', resource: 'jobs', status: 200 });
    expect(sim.get('jobs', 'default', 'x')).toBeUndefined();
    await eventually(() => sim.list('pods', 'default').every((pod) => pod.metadata.labels?.['job-name'] !== 'x'), 3000, 'the pods to go');
    expect(await kubectlFails('get', 'job', 'x')).toContain('Error from server (NotFound): jobs.batch "x" not found');
  });

  it('shows the events of the cluster', async () => {
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=applied');
    expect(events.split('\n')[0].split(/\s{2,}/)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(events).toMatch(/Normal\s+Completed\s+job\/applied\s+Job completed/);
  });
});
