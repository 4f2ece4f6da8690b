// The one broker resolution of the local stack: `npm run dev` and the tests' global setup both call
// `resolveBroker`, so a fresh machine gets the same broker, or the same one-line reason why not, from both.
import amqp from 'amqplib';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, realpathSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';

export type BrokerSource = 'AMQP_URL' | 'localhost' | 'private node' | 'docker';

export interface Broker {
  /** With credentials: for the apps' AMQP_URL. Print `shownUrl` instead. */
  url: string;
  source: BrokerSource;
  /** One line saying which broker was chosen and why. */
  description: string;
  /** Stops a broker started here (a private node, a container); does nothing to one that was found running. */
  stop(): Promise<void>;
}

export interface BrokerOptions {
  /** Where a private node keeps its config, data and logs (removed when it stops); `.local/rabbitmq` for npm run dev. */
  stateDir: string;
  env?: NodeJS.ProcessEnv;
  /** How long a broker named by AMQP_URL, or one at localhost:5672, has to answer. */
  answerTimeoutMs?: number;
  /** How long a private node or a container has to come up. */
  startTimeoutMs?: number;
}

/** No broker could be had; the message says what to install or set, in a few lines. */
export class NoBrokerError extends Error {
  override name = 'NoBrokerError';
}

const LOCALHOST_URL = 'amqp://guest:guest@127.0.0.1:5672';
/** The image a container is started from when Docker is the only way left; pinned so that every run is alike. */
export const RABBITMQ_IMAGE = 'rabbitmq:3.13.7-alpine';
/** Debian's and RabbitMQ's packages put the server script here; Homebrew's is on the PATH. */
const SERVER_SCRIPTS = ['/usr/lib/rabbitmq/bin/rabbitmq-server', '/usr/local/sbin/rabbitmq-server', '/opt/homebrew/sbin/rabbitmq-server'];

/**
 * Finds or starts a RabbitMQ broker, in this order: the one AMQP_URL names (refused, not replaced, when it does
 * not answer); one answering at localhost:5672; a private node of the RabbitMQ installed here; a container where
 * a Docker engine answers. Otherwise throws `NoBrokerError`, naming the ways to get one.
 */
export async function resolveBroker(options: BrokerOptions): Promise<Broker> {
  const env = options.env ?? process.env;
  const answerTimeoutMs = options.answerTimeoutMs ?? 5_000;
  if (env.AMQP_URL) {
    const problem = await whyNotAnswering(env.AMQP_URL, answerTimeoutMs);
    if (problem) {
      throw new NoBrokerError(
        `AMQP_URL (${shownUrl(env.AMQP_URL)}) does not answer within ${answerTimeoutMs / 1000} s: ${redactUrls(problem)}.\n` +
          'Check that RabbitMQ runs there and that the host, port, user and password are right, or unset AMQP_URL to use or start a local broker.',
      );
    }
    return found(env.AMQP_URL, 'AMQP_URL', `RabbitMQ from AMQP_URL: ${shownUrl(env.AMQP_URL)}`);
  }
  if (!(await whyNotAnswering(LOCALHOST_URL, Math.min(answerTimeoutMs, 2_000)))) {
    return found(LOCALHOST_URL, 'localhost', `RabbitMQ already running at ${shownUrl(LOCALHOST_URL)}`);
  }
  const serverScript = findServerScript(env);
  if (serverScript) return startPrivateNode(serverScript, options);
  if (dockerEngineAnswers()) return startContainer(options);
  throw new NoBrokerError(
    [
      'No RabbitMQ broker: nothing answers at localhost:5672, no RabbitMQ is installed here to start one from, and no Docker engine answers.',
      'Get one in any of these ways, then run the command again:',
      '  Debian/Ubuntu: sudo apt-get install rabbitmq-server   (a private node is started from it; it need not run)',
      '  macOS:         brew install rabbitmq',
      `  Docker:        docker run -d --name rabbitmq -p 5672:5672 ${RABBITMQ_IMAGE}`,
      '  elsewhere:     AMQP_URL=amqp://user:password@host:5672 (a broker you run)',
    ].join('\n'),
  );
}

/** The URL as it may be printed or logged: the password replaced. */
export function shownUrl(url: string): string {
  return redactUrls(url);
}

/** Every `scheme://user:password@` in the text with its password replaced. */
export function redactUrls(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/gi, '$1:***@');
}

function found(url: string, source: BrokerSource, description: string): Broker {
  return { url, source, description, stop: async () => undefined };
}

/** Undefined when an AMQP connection opens (address, credentials and vhost all good), else why not. */
async function whyNotAnswering(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const connection = await amqp.connect(url, { timeout: timeoutMs });
    await connection.close();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function findServerScript(env: NodeJS.ProcessEnv): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v rabbitmq-server'], { encoding: 'utf8', env }).stdout.trim();
  for (const candidate of [...SERVER_SCRIPTS, ...(onPath ? [onPath] : [])]) {
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    // Debian's /usr/sbin/rabbitmq-server is a wrapper that switches root to the rabbitmq user; the script it
    // wraps runs the node as whoever starts it, so the node can keep its files under the project.
    const real = realpathSync(candidate);
    return basename(real) === 'rabbitmq-script-wrapper' ? join(dirname(real), 'rabbitmq-server') : real;
  }
  return undefined;
}

/**
 * A RabbitMQ node of its own: its own node name, a free port, its own config file (a site's rabbitmq.conf may pin
 * the listener to 5672), no plugins, data and logs under `stateDir`. It stops with `stop()`, and also when the
 * process that started it dies.
 */
async function startPrivateNode(serverScript: string, options: BrokerOptions): Promise<Broker> {
  const [port, distPort] = await freePorts(2);
  const nodeName = `cloud-worker-${port}@localhost`;
  const dir = join(options.stateDir, `node-${port}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'data'), { recursive: true });
  await mkdir(join(dir, 'log'), { recursive: true });
  await writeFile(join(dir, 'rabbitmq.conf'), `listeners.tcp.1 = 127.0.0.1:${port}\nlog.console = false\nlog.file.level = warning\n`);
  await writeFile(join(dir, 'enabled_plugins'), '[].\n');
  await writeFile(join(dir, 'rabbitmq-env.conf'), '');
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(dir, 'data'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    // The node then runs in the script's own process (exec) with an Erlang shell on its standard input, which is
    // a pipe from this process: when this process dies, however it dies, the pipe closes and the node ends.
    RABBITMQ_ALLOW_INPUT: 'true',
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  // Its own process group, so that a Ctrl-C meant for npm run dev does not reach the Erlang shell as a break.
  const child = spawn(serverScript, [], { env, detached: true, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await once(child, 'exit').catch(() => undefined);
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await untilAnswering(url, options.startTimeoutMs ?? 60_000, () => child.exitCode !== null || child.signalCode !== null);
  } catch (error) {
    const log = await readFile(join(dir, 'log', `${nodeName}.log`), 'utf8').catch(() => '');
    await stop();
    throw new NoBrokerError(`The private RabbitMQ node (${serverScript}) did not start: ${String(error)}\n${(stderr + log).trim().split('\n').slice(-15).join('\n')}`);
  }
  return { url, source: 'private node', description: `RabbitMQ private node ${nodeName} at ${shownUrl(url)}, from ${serverScript}`, stop };
}

/** Only an engine that answers counts: a `docker` command alone cannot run a container. */
function dockerEngineAnswers(): boolean {
  return spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 5_000 }).status === 0;
}

async function startContainer(options: BrokerOptions): Promise<Broker> {
  const [port] = await freePorts(1);
  const name = `cloud-worker-rabbitmq-${port}`;
  const run = spawnSync('docker', ['run', '-d', '--rm', '--name', name, '-p', `127.0.0.1:${port}:5672`, RABBITMQ_IMAGE], { encoding: 'utf8' });
  if (run.status !== 0) throw new NoBrokerError(`docker run ${RABBITMQ_IMAGE} failed: ${run.stderr.trim()}`);
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const stop = async () => void spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  try {
    await untilAnswering(url, options.startTimeoutMs ?? 90_000, () => false);
  } catch (error) {
    await stop();
    throw new NoBrokerError(`The RabbitMQ container ${name} did not start: ${String(error)}`);
  }
  return { url, source: 'docker', description: `RabbitMQ container ${name} (${RABBITMQ_IMAGE}) at ${shownUrl(url)}`, stop };
}

/** Waits, with backoff, until an AMQP connection opens; gives up early when `gone()` says the broker exited. */
async function untilAnswering(url: string, timeoutMs: number, gone: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const policy = retry(
    handleWhen((error) => !(error instanceof GaveUp)),
    { maxAttempts: Number.MAX_SAFE_INTEGER, backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 }) },
  );
  await policy.execute(async () => {
    if (gone()) throw new GaveUp('it exited');
    const problem = await whyNotAnswering(url, 2_000);
    if (!problem) return;
    if (Date.now() > deadline) throw new GaveUp(`not answering after ${timeoutMs / 1000} s (${problem})`);
    throw new Error(problem);
  });
}

/** A reason to stop waiting; not retried. */
class GaveUp extends Error {}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, async () => {
      const server = createServer();
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return server;
    }),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
