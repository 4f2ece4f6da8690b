import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'minio';
import { startS3Server, type S3Server } from '../s3-server/s3-server.js';
import { startKubeSim, type KubeSim } from './index.js';
import { call, eventually, PODS, SECRETS } from './spec-helpers.js';

/** The default catalogue's images, run as real processes (or built-ins) by the kubelet. */
describe('the default catalogue images', () => {
  let sim: KubeSim;
  let s3: S3Server;
  beforeAll(async () => {
    [sim, s3] = await Promise.all([startKubeSim(), startS3Server()]);
    await call(sim, 'POST', SECRETS, { body: { metadata: { name: 's3' }, stringData: { accessKey: s3.accessKey, secretKey: s3.secretKey } } });
  });
  afterAll(() => Promise.all([sim.stop(), s3.stop()]));

  const secretEnv = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: 's3', key } } });
  async function run(name: string, image: string, env: Record<string, string | object> = {}): Promise<{ pod: any; log: string }> {
    const variables = Object.entries(env).map(([key, value]) => (typeof value === 'string' ? { name: key, value } : { name: key, ...value }));
    await call(sim, 'POST', PODS, { body: { metadata: { name }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image, env: variables }] } } });
    const pod = await eventually(() => {
      const current = sim.get('pods', 'default', name);
      return ['Succeeded', 'Failed'].includes(current?.status?.phase) && current;
    }, 10_000, `${name} to end`);
    return { pod, log: (await call(sim, 'GET', `${PODS}/${name}/log`)).body };
  }

  it('mstc/python-test prints Started, the sorted environment, host, port and SUCCESS', async () => {
    const started = Date.now();
    const { pod, log } = await run('python-test', 'mstc/python-test:1.0', { SLEEP_SECONDS: '0.2', MINIO_SERVICE_HOST: 'minio.local', MINIO_SERVICE_PORT: '9000', INPUT_BUCKET: 'in' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(pod.status.containerStatuses[0].state.terminated.exitCode).toBe(0);
    const lines = log.trimEnd().split('\n');
    expect(lines[0]).toBe('Started');
    const variables = lines.slice(1, -3);
    expect(variables).toEqual([...variables].sort());
    expect(variables).toEqual(expect.arrayContaining(['INPUT_BUCKET: in', 'MINIO_SERVICE_HOST: minio.local', 'HOSTNAME: python-test', 'SLEEP_SECONDS: 0.2']));
    expect(lines.slice(-3)).toEqual(['host: minio.local', 'port: 9000', 'SUCCESS']);
  });

  it('mstc/bucket-copy reads every input object and writes a result object to the output bucket', async () => {
    const client = new Client({ endPoint: s3.host, port: s3.port, useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey });
    await client.makeBucket('copy-in');
    await client.putObject('copy-in', 'a.txt', 'alpha', 5);
    await client.putObject('copy-in', 'dir/b.txt', 'bravo!', 6);
    const { pod, log } = await run('bucket-copy', 'mstc/bucket-copy', {
      INPUT_BUCKET: 'copy-in',
      OUTPUT_BUCKET: 'copy-out',
      FILE_PREFIX: 'run-7',
      MINIO_SERVICE_HOST: s3.host,
      MINIO_SERVICE_PORT: String(s3.port),
      MINIO_ACCESS_KEY: secretEnv('MINIO_ACCESS_KEY', 'accessKey'),
      MINIO_SECRET_KEY: secretEnv('MINIO_SECRET_KEY', 'secretKey'),
    });
    expect(log).toContain('Wrote s3://copy-out/run-7-result.json (2 objects)');
    expect(pod.status.phase).toBe('Succeeded');
    const chunks = await (await client.getObject('copy-out', 'run-7-result.json')).toArray();
    expect(JSON.parse(Buffer.concat(chunks as Buffer[]).toString())).toEqual({
      inputBucket: 'copy-in',
      objects: [
        { name: 'a.txt', size: 5, sha256: '8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8' },
        { name: 'dir/b.txt', size: 6, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      ],
    });
    expect(s3.requests.some((request) => request.includes('uploads'))).toBe(false);
  });

  it('mstc/bucket-copy falls back to the AWS credential names', async () => {
    const { log } = await run('bucket-copy-aws', 'mstc/bucket-copy', {
      INPUT_BUCKET: 'copy-in',
      MINIO_SERVICE_HOST: s3.host,
      MINIO_SERVICE_PORT: String(s3.port),
      AWS_ACCESS_KEY_ID: secretEnv('AWS_ACCESS_KEY_ID', 'accessKey'),
      AWS_SECRET_ACCESS_KEY: secretEnv('AWS_SECRET_ACCESS_KEY', 'secretKey'),
    });
    expect(log).toContain('Wrote s3://copy-in/result.json (2 objects)');
  });

  it('mstc/fail prints to stderr and exits with EXIT_CODE (3 by default)', async () => {
    const { pod, log } = await run('fail', 'mstc/fail');
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(log).toContain('error: mstc/fail failing on purpose with exit code 3');
    expect((await run('fail-7', 'mstc/fail', { EXIT_CODE: '7' })).pod.status.containerStatuses[0].state.terminated.exitCode).toBe(7);
  });

  it('mstc/sleep runs until the pod is deleted', async () => {
    await call(sim, 'POST', PODS, { body: { metadata: { name: 'sleep' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'mstc/sleep' }] } } });
    await eventually(() => sim.get('pods', 'default', 'sleep')?.status?.phase === 'Running', 5000, 'the sleeper to run');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sim.get('pods', 'default', 'sleep').status.phase).toBe('Running');
    await call(sim, 'DELETE', `${PODS}/sleep`);
    await eventually(() => sim.get('pods', 'default', 'sleep') === undefined, 3000, 'the sleeper to go');
  });

  it('kube-sim/sleep-exit runs in process: logs, waits SLEEP_MS, exits with EXIT_CODE', async () => {
    const { pod, log } = await run('sleep-exit', 'kube-sim/sleep-exit', { SLEEP_MS: '50', EXIT_CODE: '4' });
    expect(log).toBe('Started sleep-exit\nSleeping 50 ms\nExiting with code 4\n');
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 4, reason: 'Error' });
  });

  it('kube-sim/sleep-forever runs in process until killed', async () => {
    await call(sim, 'POST', PODS, { body: { metadata: { name: 'forever' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'kube-sim/sleep-forever' }] } } });
    await eventually(() => sim.get('pods', 'default', 'forever')?.status?.phase === 'Running', 3000, 'the built-in to run');
    await call(sim, 'DELETE', `${PODS}/forever`);
    await eventually(() => sim.get('pods', 'default', 'forever') === undefined, 3000, 'the built-in to stop');
  });
});
