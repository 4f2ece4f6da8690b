// `npm run dev` (scripts/dev.ts) as a user runs it: it comes up and runs the README's job, and whatever way it
// ends (Ctrl-C, SIGTERM, a failed start, SIGKILL, no broker to be had) nothing it started is left running.
// Each run gets free ports and a state directory of its own; the apps come from the build `npm test` makes.
import { afterEach, describe, expect, it } from '@jest/globals';
import amqp from 'amqplib';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { APP_ENTRIES } from '../tools/local-stack/app-process.js';
import { ApiClient } from './support/http.js';
import { deleteNames, eventually, namesEnv, uniqueNames, type SystemNames } from './support/system.js';

const ROOT = resolve(import.meta.dirname, '..');
const DEV = ['--import', 'tsx', 'scripts/dev.ts', '--no-build'];
const README_JOB = { image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'test.inputs', prefix: 'run-1' };
const SLEEP_JOB = { image: 'mstc/sleep', jobName: 'nap', inputBucket: 'naps' };
const READY = 'Press Ctrl-C to stop.';
/** Among the command lines under dev: both apps, from dist/. */
const THE_APPS = expect.arrayContaining([expect.stringContaining(APP_ENTRIES.api), expect.stringContaining(APP_ENTRIES['cloud-worker'])]);

interface DevRun {
  child: ChildProcess;
  localDir: string;
  /** RabbitMQ names of its own on a shared broker (a sleep job's message, requeued at the stop, must reach no other run). */
  names?: SystemNames;
  ports: { API_PORT: number; WORKER_PORT: number; S3_PORT: number; KUBE_SIM_PORT: number };
  apiUrl: string;
  stdout: string;
  stderr: string;
  /** Processes seen under it, pid → command line: the containers carry no mark of the run (see `processesOf`). */
  seen: Map<number, string>;
  /** Set once the spawned process has exited. */
  code?: number | null;
  exited: Promise<number | null>;
}

const runs: DevRun[] = [];
const held: Server[] = [];
afterEach(async () => {
  // A test that failed midway must leave nothing behind: the group (dev, npm, the apps), then anything else of
  // the run's (a private broker, containers: they have groups of their own).
  for (const run of runs.splice(0)) {
    // Only while its leader lives: a pid is soon reused here.
    if (run.code === undefined) kill(-run.child.pid!);
    for (const pid of processesOf(run)) kill(pid);
    if (run.names) await deleteOnBroker(run.names);
    await rm(run.localDir, { recursive: true, force: true });
  }
  await Promise.all(held.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

interface DevOptions {
  env?: Record<string, string>;
  /** Where the global setup's AMQP_URL cannot answer: it is left out. */
  ownNetwork?: boolean;
  /** A port the test listens on before dev starts. */
  hold?: keyof DevRun['ports'];
}

/**
 * Starts `command` (node, npm or unshare) as its own process group, with free ports and a fresh LOCAL_DIR, without
 * Jest's NODE_OPTIONS (its VM-modules flag would reach the apps).
 */
async function startDev(command: string, args: string[], options: DevOptions = {}): Promise<DevRun> {
  const [API_PORT, WORKER_PORT, S3_PORT, KUBE_SIM_PORT] = await freePorts(4);
  const ports = { API_PORT, WORKER_PORT, S3_PORT, KUBE_SIM_PORT };
  if (options.hold) held.push(await listen(ports[options.hold]));
  const localDir = await mkdtemp(join(tmpdir(), 'dev-stack-'));
  const { NODE_OPTIONS: _jestFlags, AMQP_URL, ...inherited } = process.env;
  const names = options.ownNetwork ? undefined : uniqueNames();
  const env = {
    ...inherited,
    ...(AMQP_URL && !options.ownNetwork && { AMQP_URL }),
    ...(names && namesEnv(names)),
    ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
    LOCAL_DIR: localDir,
    ...options.env,
  };
  const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: DevRun = { child, localDir, names, ports, apiUrl: `http://localhost:${API_PORT}`, stdout: '', stderr: '', seen: new Map(), exited: undefined as never };
  run.exited = once(child, 'exit').then(([code]) => (run.code = code as number | null));
  child.stdout!.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  runs.push(run);
  return run;
}

async function deleteOnBroker(names: SystemNames): Promise<void> {
  const connection = await amqp.connect(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  await deleteNames(await connection.createChannel(), names);
  await connection.close();
}

/** `unshare -n`: a network of its own where nothing answers at 5672, so dev starts a private broker. */
function inOwnNetwork(command: string): [string, string[]] {
  return ['unshare', ['-n', 'sh', '-c', `ip link set lo up && exec ${command}`]];
}

/** The local user's api token, as dev kept it. */
function tokenOf(run: DevRun): string {
  return readFileSync(join(run.localDir, 'token'), 'utf8').trim();
}

async function untilReady(run: DevRun, timeoutMs = 30_000): Promise<void> {
  await eventually(() => run.code !== undefined || run.stdout.includes(READY), timeoutMs, 'npm run dev to be ready');
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: undefined, stderr: '' });
}

/**
 * The processes of a run still alive: those carrying its LOCAL_DIR in their environment (all but the containers,
 * whose environment is their pod's), and those seen under it, if their pid still runs the same command (a pid is
 * soon reused here).
 */
function processesOf(run: DevRun): number[] {
  const marked = pids().filter((pid) => pid !== process.pid && read(`/proc/${pid}/environ`).includes(run.localDir));
  const seen = [...run.seen].filter(([pid, command]) => commandOf(pid) === command).map(([pid]) => pid);
  return [...new Set([...marked, ...seen])].filter(isAlive);
}

/**
 * What is left of the run, as `pid command`, but Erlang's port mapper daemon: a private node starts one where none
 * runs, and it outlives every node by design (on a host, one serves them all). afterEach ends the run's own.
 */
function leftOf(run: DevRun): string[] {
  return processesOf(run)
    .filter((pid) => read(`/proc/${pid}/comm`).trim() !== 'epmd')
    .map((pid) => `${pid} ${commandOf(pid)}`);
}

/** For the processes that end by themselves (a parent-death signal, a closed pipe) and are reaped by init. */
/**
 * An app that got SIGTERM may take its SHUTDOWN_TIMEOUT_SECONDS (25 s by default) to finish, longer than usual when
 * its broker went with it on a loaded machine; past that it must be gone.
 */
const SHUTDOWN_WINDOW_MS = 30_000;

async function noneLeft(run: DevRun): Promise<void> {
  await eventually(() => leftOf(run).length === 0, SHUTDOWN_WINDOW_MS, 'no process of the run').catch((error: Error) => {
    throw new Error(`${error.message}; left: ${leftOf(run).join('; ')}`);
  });
}

/** The command lines of all processes under the run's; remembered in `run.seen`. */
function descendants(run: DevRun): string[] {
  const children = new Map<number, number[]>();
  for (const pid of pids()) {
    const stat = read(`/proc/${pid}/stat`);
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const visit = (parent: number): number[] => (children.get(parent) ?? []).flatMap((child) => [child, ...visit(child)]);
  const found = visit(run.child.pid!);
  for (const pid of found) run.seen.set(pid, commandOf(pid));
  return found.map(commandOf);
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

function commandOf(pid: number): string {
  return read(`/proc/${pid}/cmdline`).split('\0').join(' ').trim();
}

/** Running or sleeping, not a zombie waiting for its parent (or init) to collect it. */
function isAlive(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`);
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // gone meanwhile, or not ours to read
  }
}

/** A pid, or a process group as its negated leader. */
function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => listen(0)));
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Listens on every address, as the apps do. */
async function listen(port: number): Promise<Server> {
  const server = createServer();
  server.listen(port);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
  return server;
}

async function portsFree(run: DevRun): Promise<boolean> {
  for (const port of Object.values(run.ports)) {
    const server = await listen(port).catch(() => undefined);
    if (!server) return false;
    await new Promise((resolve) => server.close(resolve));
  }
  return true;
}

/** Submits the sleep job and waits until its container runs; returns what runs under dev then. */
async function withRunningContainer(run: DevRun, submit: (body: unknown) => void | Promise<unknown>): Promise<string[]> {
  await submit(SLEEP_JOB);
  await eventually(() => descendants(run).some((command) => command.includes('catalogue/sleep.mjs')), 20_000, 'the container to run');
  return descendants(run);
}

describe('npm run dev', () => {
  it("comes up, runs the README's example job to succeeded with its log readable, and stops on Ctrl-C", async () => {
    const run = await startDev('npm', ['run', 'dev', '--', '--no-build']);
    await untilReady(run);
    // One line per part as it became ready, then the summary.
    for (const part of ['broker ', 'S3 server ', 'simulator ', 'api ', 'worker ']) expect(run.stdout).toContain(`\n  ${part}`);
    expect(run.stdout).toContain('cloud-worker is running');
    expect(run.stdout).not.toContain('Health Check has failed');

    // Authentication is on: the local user's token, printed and kept in <state>/token for the user alone.
    const token = tokenOf(run);
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(statSync(join(run.localDir, 'token')).mode & 0o777).toBe(0o600);
    expect(run.stdout).toContain(token);
    expect((await new ApiClient(() => run.apiUrl, null).submit(README_JOB)).status).toBe(401);
    const api = new ApiClient(() => run.apiUrl, token);
    const submitted = await api.submit(README_JOB);
    expect(submitted.body.owner).toBe(process.env.USER && /^[\w.@:-]{1,128}$/.test(process.env.USER) ? process.env.USER : 'local');
    expect(submitted.status).toBe(202);
    const record = await api.untilStatus(submitted.body.id, undefined, 30_000);
    expect(record).toMatchObject({ status: 'succeeded', logObject: `run-1-test-job-${submitted.body.id}.log` });
    const log = await api.request<string>('GET', `/jobs/${submitted.body.id}/log`);
    expect(log.status).toBe(200);
    expect(log.body).toContain('Started\n');
    expect(log.body).toContain('SUCCESS');

    // As a terminal's Ctrl-C: to the whole group, npm included, which passes it on; dev must not take that second
    // SIGINT for a second Ctrl-C (which kills the apps at once).
    process.kill(-run.child.pid!, 'SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.stderr).toBe('');
    await noneLeft(run);
  }, 90_000);

  it.each([
    ['SIGINT to its process group (Ctrl-C)', 'group', 'SIGINT'],
    ['SIGTERM to it alone', 'dev', 'SIGTERM'],
  ] as const)('leaves no process and frees its ports after %s, a container running', async (_, target, signal) => {
    const run = await startDev(process.execPath, DEV);
    await untilReady(run);
    const api = new ApiClient(() => run.apiUrl, tokenOf(run));
    const started = await withRunningContainer(run, (body) => api.submit(body));
    expect(started).toEqual(THE_APPS);

    process.kill(target === 'group' ? -run.child.pid! : run.child.pid!, signal);
    expect(await run.exited).toBe(0);
    expect(run.stdout).toMatch(/stopped\n$/);
    expect(run.stderr).toBe('');
    // dev exits only once all it started has ended.
    expect(leftOf(run)).toEqual([]);
    expect(await portsFree(run)).toBe(true);
  }, 45_000);

  it('fails a start whose port is taken, in one line, and leaves no process', async () => {
    const run = await startDev(process.execPath, DEV, { hold: 'API_PORT' });
    expect(await run.exited).toBe(1);
    expect(run.stderr).toBe(`port ${run.ports.API_PORT} (API_PORT) is in use: stop what uses it or set API_PORT to another port\n`);
    await noneLeft(run);
  }, 60_000);

  it('fails a start whose app exits, naming the app and why in one line, and stops what had started', async () => {
    const run = await startDev(process.execPath, DEV, { env: { LOG_LEVEL: 'loud' } });
    expect(await run.exited).toBe(1);
    expect(run.stdout).toContain('  simulator ');
    expect(run.stderr).toMatch(/^(api|worker) exited with code 78 before it was ready: .*LOG_LEVEL must be one of .*\n$/);
    await noneLeft(run);
    expect(await portsFree(run)).toBe(true);
  }, 60_000);

  it('stops everything and exits 1 when dev.ts itself crashes', async () => {
    // An uncaught error thrown in dev's process on demand, the test's only way in.
    const crashOnDemand = `data:text/javascript,process.on('SIGUSR2', () => { throw new Error('boom'); });`;
    const run = await startDev(process.execPath, ['--import', crashOnDemand, ...DEV]);
    await untilReady(run);
    expect(descendants(run)).toEqual(THE_APPS);

    run.child.kill('SIGUSR2');
    expect(await run.exited).toBe(1);
    expect(run.stderr).toMatch(/^npm run dev crashed: Error: boom\n/);
    expect(leftOf(run)).toEqual([]);
  }, 30_000);

  it('leaves no process behind when SIGKILLed: the apps, a running container and its private broker end by themselves', async () => {
    const run = await startDev(...inOwnNetwork(`${process.execPath} ${DEV.join(' ')}`), { ownNetwork: true });
    await untilReady(run, 45_000);
    expect(run.stdout).toMatch(/broker {5}RabbitMQ private node cloud-worker-\d+@localhost/);
    // Its network is not the test's: the api is reached from inside it.
    const network = `/proc/${run.child.pid}/ns/net`;
    const started = await withRunningContainer(run, (body) => {
      const authorization = `authorization: Bearer ${tokenOf(run)}`;
      const post = spawnSync('nsenter', [`--net=${network}`, 'curl', '-sf', '-H', 'content-type: application/json', '-H', authorization, '-d', JSON.stringify(body), `${run.apiUrl}/jobs`]);
      expect(post.status).toBe(0);
    });
    expect(started).toEqual(THE_APPS);
    expect(started).toEqual(expect.arrayContaining([expect.stringContaining('beam.smp')]));

    run.child.kill('SIGKILL');
    await noneLeft(run);
  }, 90_000);

  it('stops everything when npm itself is SIGKILLed: dev sees its parent go', async () => {
    const run = await startDev('npm', ['run', 'dev', '--', '--no-build']);
    await untilReady(run);
    expect(descendants(run)).toEqual(THE_APPS);

    run.child.kill('SIGKILL');
    await noneLeft(run);
  }, 60_000);

  it('stops before building, naming the ways to get a broker, when there is none', async () => {
    const built = statSync(APP_ENTRIES.api).mtimeMs;
    const run = await startDev('unshare', ['-nm', 'sh', '-c', 'ip link set lo up && mount -t tmpfs none /usr/lib/rabbitmq && exec npm run dev'], { ownNetwork: true });
    expect(await run.exited).toBe(1);
    expect(run.stderr).toContain('No RabbitMQ broker: nothing answers at localhost:5672, no RabbitMQ is installed here to start one from');
    for (const way of ['apt-get install rabbitmq-server', 'brew install rabbitmq', 'docker run', 'AMQP_URL=']) expect(run.stderr).toContain(way);
    expect(run.stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(run.stdout).not.toContain('build');
    expect(statSync(APP_ENTRIES.api).mtimeMs).toBe(built);
    await noneLeft(run);
  }, 60_000);
});
