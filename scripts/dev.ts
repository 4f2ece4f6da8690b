// `npm run dev`: the whole system on one machine, on embedded defaults: a RabbitMQ broker (found or started by
// tools/local-stack/broker.ts), the S3 test server, the Kubernetes simulator, and the api and a worker as built
// for production. The broker is resolved first, so that a machine without one learns it before a build.
//
// Nothing it starts outlives it. On Ctrl-C, SIGTERM, SIGHUP, a failed start or a crash it stops everything, the
// apps first; when it is SIGKILLed, each part ends by itself: the apps and the simulator's containers get SIGTERM
// from the kernel (spawnTethered), a private broker sees its stdin pipe close, and the S3 server and the simulator
// live in this process. `--no-build` skips the build (a restart, the tests).
//
// The api runs with authentication on: the local user gets a token with every role, kept in .local/token (made on
// the first start, reused after) and printed with the rest.
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { isAbsolute, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startKubeSim } from '../tools/kube-sim/index.js';
import { keptToken, tokenListEntry } from '../tools/local-stack/api-tokens.js';
import { AppProcess, type AppName } from '../tools/local-stack/app-process.js';
import { NoBrokerError, resolveBroker, shownUrl } from '../tools/local-stack/broker.js';
import { provisionJobsUser } from '../tools/local-stack/s3-secret.js';
import { spawnTethered } from '../tools/local-stack/tethered.js';
import { startS3Server } from '../tools/s3-server/s3-server.js';

const root = resolve(import.meta.dirname, '..');
/** Where state is kept (S3 objects, container logs, the kubeconfig, a private broker's files); LOCAL_DIR moves it. */
const local = resolve(process.env.LOCAL_DIR ?? resolve(root, '.local'));
const READY_TIMEOUT_MS = 60_000;

/** A start that cannot go on, for a reason the message gives in full: printed without a stack. */
class StartFailure extends Error {}

// Declared before anything can fail or be signalled: a stop must find them initialised.
/** What runs now, stopped last-started first: the apps before the simulator, S3 and the broker they use. */
const running: Array<{ name: string; stop(): Promise<unknown> }> = [];
const apps: AppProcess[] = [];
let stopping: Promise<void> | undefined;
let signalledAt = 0;

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    // One Ctrl-C arrives twice, from the terminal and passed on by npm: what comes within a second is the same one.
    if (Date.now() - signalledAt < 1_000) return;
    signalledAt = Date.now();
    if (stopping) {
      console.error('killing the apps');
      for (const app of apps) void app.kill('SIGKILL');
      return;
    }
    console.log(`\n${signal}: stopping…${signal === 'SIGINT' ? ' (Ctrl-C again kills the apps at once)' : ''}`);
    void stop(0);
  });
}
process.on('uncaughtException', (error) => crashed(error));
process.on('unhandledRejection', (reason) => crashed(reason));
// package.json execs this in npm's place, so npm is the parent: when npm is SIGKILLed, the parent changes.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && void stop(1, 'npm run dev: its parent process is gone; stopping'), 500).unref();

try {
  await main();
} catch (error) {
  await stop(1, error instanceof StartFailure || error instanceof NoBrokerError ? error.message : `npm run dev failed: ${describe(error)}`);
}

async function main(): Promise<void> {
  const flags = parseFlags();
  const settings = {
    apiPort: port('API_PORT', 3000),
    workerPort: port('WORKER_PORT', 3001),
    s3Port: port('S3_PORT', 9000),
    kubePort: port('KUBE_SIM_PORT', 6443),
    s3AccessKey: process.env.S3_ACCESS_KEY ?? 'minioadmin',
    s3SecretKey: process.env.S3_SECRET_KEY ?? 'minioadmin',
  };
  console.log(`Starting cloud-worker (state under ${shown(local)})`);
  await checkPorts({ API_PORT: settings.apiPort, WORKER_PORT: settings.workerPort, S3_PORT: settings.s3Port, KUBE_SIM_PORT: settings.kubePort });

  const broker = await resolveBroker({ stateDir: resolve(local, 'rabbitmq') });
  running.push({ name: 'the broker', stop: () => broker.stop() });
  ready('broker', broker.description);
  if (!flags['no-build']) await buildApps();
  if (stopping) return;

  const s3Dir = resolve(local, 's3');
  await mkdir(s3Dir, { recursive: true });
  const s3 = await startS3Server({ port: settings.s3Port, host: '127.0.0.1', directory: s3Dir, accessKey: settings.s3AccessKey, secretKey: settings.s3SecretKey });
  running.push({ name: 'the S3 server', stop: () => s3.stop() });
  ready('S3 server', `${s3.endpoint}, objects under ${shown(s3Dir)}`);

  const kubeconfig = resolve(local, 'kubeconfig');
  const sim = await startKubeSim({ port: settings.kubePort, kubeconfigPath: kubeconfig, stateDir: resolve(local, 'kube-sim') });
  running.push({ name: 'the simulator', stop: () => sim.stop() });
  // A fresh simulator (its objects live in memory; kube-sim/ holds only container logs): no Secret yet. The Jobs
  // get a user of their own that cannot reach the records bucket, as the chart provisions it.
  const jobsUser = await provisionJobsUser(s3, sim, process.env.RECORDS_BUCKET ?? 'cloud-worker-records');
  ready('simulator', `${sim.url}, kubeconfig ${shown(kubeconfig)}`);
  if (stopping) return;

  const { owner, token, tokenFile } = await localUserToken();
  ready('token', `for ${owner} (submit, read, cancel, admin) in ${shown(tokenFile)}`);

  // The apps get this process's environment, so that any of their settings can be given (CONCURRENCY=2 npm run
  // dev), under what dev decides itself: the broker, the S3 server, the simulator, the ports.
  const env = {
    ...(Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== undefined)) as Record<string, string>),
    LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    AMQP_URL: broker.url,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: settings.s3AccessKey,
    S3_SECRET_KEY: settings.s3SecretKey,
    KUBECONFIG: kubeconfig,
    ...jobsUser.env,
    // More users go in AUTH_TOKENS_FILE, which the api reads alongside.
    AUTH_TOKENS: JSON.stringify([tokenListEntry(owner, ['submit', 'read', 'cancel', 'admin'], token)]),
  };
  running.push({ name: 'the apps', stop: stopApps });
  const apiUrl = `http://localhost:${settings.apiPort}`;
  const workerUrl = `http://localhost:${settings.workerPort}`;
  await Promise.all([startApp('api', 'api', apiUrl, env), startApp('cloud-worker', 'worker', workerUrl, env)]);
  if (stopping) return;

  console.log(`
cloud-worker is running
  api                 ${apiUrl}   (OpenAPI: ${apiUrl}/docs)
  dashboard           ${apiUrl}/   (sign in with the api token below)
  worker              ${workerUrl}   (health: /health/ready, metrics: /metrics)
  S3 (MinIO API)      ${s3.endpoint}   (access key ${settings.s3AccessKey}, Jobs' ${jobsUser.accessKey}; objects under ${shown(s3Dir)})
  Kubernetes (sim)    ${sim.url}   (kubectl --kubeconfig ${shown(kubeconfig)} get jobs)
  RabbitMQ            ${shownUrl(broker.url)}   (${broker.source})
  api token (${owner})   ${token}
                      curl -H "authorization: Bearer $(cat ${shown(tokenFile)})" ${apiUrl}/jobs
  CLI                 export CLOUD_WORKER_API=${apiUrl}
                      export CLOUD_WORKER_TOKEN="$(cat ${resolve(tokenFile)})"
                      npx cloud-worker ls   (npx cloud-worker --help for the rest)
Press Ctrl-C to stop.
`);
  // Quiet while starting (the readiness polls fail until then); from now on the apps' logs are the output.
  for (const app of apps) app.echo = true;
}

/** The local user's api token: owner `$USER` (or `local`), the token kept in <state>/token (mode 0600). */
async function localUserToken(): Promise<{ owner: string; token: string; tokenFile: string }> {
  const user = process.env.USER ?? '';
  const owner = /^[\w.@:-]{1,128}$/.test(user) ? user : 'local';
  const tokenFile = resolve(local, 'token');
  await mkdir(local, { recursive: true });
  const { token } = await keptToken(tokenFile);
  return { owner, token, tokenFile };
}

/** Stops what runs, once, then exits; what starts meanwhile is pushed onto `running` and stopped as well. */
function stop(code: number, message?: string): Promise<void> {
  stopping ??= (async () => {
    if (message) console.error(message);
    const anything = running.length > 0;
    for (let part = running.pop(); part; part = running.pop()) {
      const { name } = part;
      await part.stop().catch((error: unknown) => console.error(`${name} did not stop cleanly: ${describe(error)}`));
    }
    if (anything) console.log('stopped');
    process.exit(code);
  })();
  return stopping;
}

function crashed(error: unknown): void {
  // Printed even while stopping: a crash there is worth seeing too.
  console.error(`npm run dev crashed: ${describe(error)}`);
  void stop(1);
}

/** `npm run build` as a child: its own process group, so that a stop reaches the nest processes under npm and sh. */
async function buildApps(): Promise<void> {
  const started = Date.now();
  ready('build', 'npm run build …');
  const child = spawnTethered('npm', ['run', 'build'], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const closed = once(child, 'close');
  const part = {
    name: 'the build',
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
      await closed;
    },
  };
  running.push(part);
  const [code] = (await closed) as [number | null];
  if (stopping) return; // and `part` is off the list already
  running.splice(running.indexOf(part), 1);
  if (code !== 0) throw new StartFailure(`npm run build failed (exit code ${code}):\n${output.trim()}`);
  ready('build', `both apps built in ${seconds(started)}`);
}

/** Starts an app from dist/ and waits until it is ready; an exit, at any time, stops everything. */
async function startApp(name: AppName, label: string, url: string, env: Record<string, string>): Promise<void> {
  const started = Date.now();
  const app = AppProcess.start(name, { ...env, PORT: new URL(url).port }, { echo: false, tethered: true });
  apps.push(app);
  let isReady = false;
  void app.exited.then((code) => stop(1, `${label} exited with code ${code}${isReady ? '' : ' before it was ready'}${lastWords(app)}`));
  // The logs are pretty, not JSON, so readiness is asked over HTTP rather than read from the log.
  let health = 'no answer';
  while (Date.now() - started < READY_TIMEOUT_MS) {
    if (stopping) return;
    const response = await fetch(`${url}/health/ready`).catch(() => undefined);
    if (response?.ok) {
      isReady = true;
      ready(label, `${url} ready in ${seconds(started)}`);
      return;
    }
    if (response) health = `${response.status} ${(await response.text()).slice(0, 300)}`;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new StartFailure(`${label} was not ready within ${READY_TIMEOUT_MS / 1000} s: ${url}/health/ready answered ${health}`);
}

/** The apps get SHUTDOWN_TIMEOUT_SECONDS (25 s by default) to finish their work; a little later they are killed. */
async function stopApps(): Promise<void> {
  const killer = setTimeout(() => apps.forEach((app) => void app.kill('SIGKILL')), 30_000);
  await Promise.all(apps.map((app) => app.kill('SIGTERM')));
  clearTimeout(killer);
}

/** The last line an app wrote that looks like an error (else its last line), as `: <line>`. */
function lastWords(app: AppProcess): string {
  const lines = app.lines
    .flatMap((entry) => String(entry.msg ?? entry.stderr ?? JSON.stringify(entry)).split('\n'))
    .map((line) => line.replace(/\x1b\[[0-9;]*m/g, '').trim())
    .filter(Boolean);
  const line = lines.findLast((candidate) => /\b(ERROR|FATAL|Error)\b/.test(candidate)) ?? lines.at(-1);
  return line ? `: ${line}` : '';
}

/** Each port is checked before anything starts, so that one in use is named rather than failing an app later. */
async function checkPorts(ports: Record<string, number>): Promise<void> {
  const seen = new Map<number, string>();
  for (const [variable, port] of Object.entries(ports)) {
    const other = seen.get(port);
    if (other) throw new StartFailure(`${other} and ${variable} are both ${port}: give each a port of its own`);
    seen.set(port, variable);
    const problem = await whyNotFree(port);
    if (problem) throw new StartFailure(`port ${port} (${variable}) ${problem}: stop what uses it or set ${variable} to another port`);
  }
}

/** Listens as the apps do (every address), so that a listener on any of them counts. */
function whyNotFree(port: number): Promise<string | undefined> {
  return new Promise((resolveProblem) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolveProblem(error.code === 'EADDRINUSE' ? 'is in use' : `cannot be listened on (${error.code ?? error.message})`));
    server.listen(port, () => server.close(() => resolveProblem(undefined)));
  });
}

function parseFlags(): { 'no-build'?: boolean } {
  try {
    return parseArgs({ options: { 'no-build': { type: 'boolean' } } }).values;
  } catch (error) {
    throw new StartFailure(`${(error as Error).message}; npm run dev takes one flag, --no-build`);
  }
}

function port(variable: string, fallback: number): number {
  const value = process.env[variable];
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 65535) throw new StartFailure(`${variable} must be a port number (1-65535), not "${value}"`);
  return number;
}

function ready(part: string, text: string): void {
  console.log(`  ${part.padEnd(10)} ${text}`);
}

/** A path as the user would type it: relative to the working directory when inside it. */
function shown(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere && !fromHere.startsWith('..') && !isAbsolute(fromHere) ? fromHere : path;
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
