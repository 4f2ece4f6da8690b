import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startKubeSim, type KubeSim } from '../tools/kube-sim/index.js';
import { AppProcess, type AppName } from '../tools/local-stack/app-process.js';

// Credentials for services that are not there (or, for the simulator, do not check them): whatever the apps
// log while they fail to connect, none of these may appear in it.
const AMQP_PASSWORD = 's3cret-amqp';
const S3_SECRET_KEY = 's3cret-s3';
const KUBE_TOKEN = 's3cret-kube';
const KUBE_PASSWORD = 's3cret-kube-basic';
const SECRETS = [AMQP_PASSWORD, S3_SECRET_KEY, KUBE_TOKEN, KUBE_PASSWORD];

/** A port on which nothing listens: taken from the system, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function kubeconfig(server: string, user: Record<string, string>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: 'default' } }],
    'current-context': 'c',
    users: [{ name: 'u', user }],
  });
}

const message = (line: Record<string, unknown>) => (typeof line.msg === 'string' ? line.msg : '');

describe('no credential in any log line', () => {
  const apps: AppProcess[] = [];
  let dir: string;
  let sim: KubeSim;
  let env: Record<string, string>;
  let amqpPort: number;
  let kubePort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cloud-worker-secrets-'));
    sim = await startKubeSim();
    let s3Port: number;
    [amqpPort, s3Port, kubePort] = await Promise.all([closedPort(), closedPort(), closedPort()]);
    env = {
      AMQP_URL: `amqp://someone:${AMQP_PASSWORD}@127.0.0.1:${amqpPort}`,
      S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      S3_ACCESS_KEY: 'cloud-worker',
      S3_SECRET_KEY,
    };
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.kill('SIGKILL')));
    await sim?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function start(name: AppName, extra: Record<string, string> = {}): AppProcess {
    const app = AppProcess.start(name, { ...env, ...extra });
    apps.push(app);
    return app;
  }

  async function writeKubeconfig(file: string, text: string): Promise<string> {
    const path = join(dir, file);
    await writeFile(path, text);
    return path;
  }

  /** Everything the app wrote, stdout and stderr, holds none of the secrets. */
  function expectNoSecret(app: AppProcess): void {
    const output = app.lines.map((line) => JSON.stringify(line)).join('\n');
    for (const secret of SECRETS) expect(output).not.toContain(secret);
  }

  it('the api says RabbitMQ and S3 are unreachable, the broker URL with its user but not its password', async () => {
    const api = start('api');
    const rabbit = await api.waitForLog((line) => message(line) === 'RabbitMQ is not reachable yet');
    await api.waitForLog((line) => message(line).startsWith('S3 store not reachable yet'));
    expectNoSecret(api);
    expect(JSON.stringify(rabbit)).toContain(`amqp://someone:***@127.0.0.1:${amqpPort}`);
  });

  it('a worker says the Kubernetes API (token in its kubeconfig) and S3 are unreachable', async () => {
    const path = await writeKubeconfig('closed', kubeconfig(`https://127.0.0.1:${kubePort}`, { token: KUBE_TOKEN }));
    const worker = start('cloud-worker', { KUBECONFIG: path });
    const kube = await worker.waitForLog((line) => message(line) === 'could not list or watch the pods; retrying');
    expect(JSON.stringify(kube)).toContain(`127.0.0.1:${kubePort}`);
    await worker.waitForLog((line) => message(line).startsWith('S3 store not reachable yet'));
    expectNoSecret(worker);
  });

  it('a worker that reaches Kubernetes (basic auth in its kubeconfig) says RabbitMQ and S3 are unreachable', async () => {
    const path = await writeKubeconfig('sim', kubeconfig(sim.url, { username: 'someone', password: KUBE_PASSWORD }));
    const worker = start('cloud-worker', { KUBECONFIG: path });
    await worker.waitForLog((line) => message(line) === 'reconciled Jobs found at start');
    await worker.waitForLog((line) => line.context === 'Server' && message(line).includes(`ECONNREFUSED 127.0.0.1:${amqpPort}`));
    await worker.waitForLog((line) => message(line).startsWith('S3 store not reachable yet'));
    expectNoSecret(worker);
  });

  it('a worker whose kubeconfig does not parse stops with an error that quotes the file, but not its token', async () => {
    const broken = kubeconfig(`https://127.0.0.1:${kubePort}`, { token: KUBE_TOKEN }).replace(`token: ${KUBE_TOKEN}`, `token: ${KUBE_TOKEN}\n  bad: [`);
    const worker = start('cloud-worker', { KUBECONFIG: await writeKubeconfig('broken', broken) });
    await worker.exited;
    const failure = await worker.waitForLog((line) => line.context === 'ExceptionHandler');
    expectNoSecret(worker);
    expect(JSON.stringify(failure)).toContain('token: ***');
  });

  it('an app given a bad AMQP_URL names it without its password', async () => {
    const api = start('api', { AMQP_URL: `http://someone:${AMQP_PASSWORD}@127.0.0.1:${amqpPort}` });
    expect(await api.exited).toBe(78);
    expectNoSecret(api);
    await api.waitForLog((line) => typeof line.stderr === 'string' && line.stderr.includes(`AMQP_URL must be an amqp:// or amqps:// URL (got "http://someone:***@127.0.0.1:${amqpPort}")`));
  });
});
