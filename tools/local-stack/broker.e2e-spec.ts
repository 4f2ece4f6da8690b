import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { eventually } from '../../test/support/system.js';
import { NoBrokerError, resolveBroker } from './broker.js';

const ROOT = resolve(import.meta.dirname, '../..');
const WHICH_BROKER = join(import.meta.dirname, 'which-broker.ts');
/** The machine's RabbitMQ at localhost:5672; `unshare -n` gives a process a network where nothing answers there. */
const LOCAL_BROKER = 'amqp://guest:guest@127.0.0.1:5672';
const answersLocally = spawnSync('bash', ['-c', 'exec 3<>/dev/tcp/127.0.0.1/5672']).status === 0;

/**
 * Runs which-broker.ts in a network namespace of its own with only loopback up (nothing answers at 5672 there),
 * optionally with the installed RabbitMQ hidden under an empty tmpfs. `exec` keeps one process: the spawned pid
 * is the Node process that holds the broker.
 */
const started = new Set<ChildProcess>();
afterEach(() => {
  // A test that failed midway must not leave a broker holding Jest open.
  for (const child of started) child.kill('SIGKILL');
  started.clear();
});

function inEmptyNetwork(args: string[], { hideRabbitmq = false } = {}): ChildProcess {
  const hide = hideRabbitmq ? 'mount -t tmpfs none /usr/lib/rabbitmq && ' : '';
  const command = `ip link set lo up && ${hide}exec node --import tsx ${WHICH_BROKER} ${args.join(' ')}`;
  // Without Jest's NODE_OPTIONS (its VM-modules flag prints a warning), and without the AMQP_URL its global setup set.
  const { NODE_OPTIONS: _jestFlags, AMQP_URL: _resolved, ...env } = process.env;
  const child = spawn('unshare', [hideRabbitmq ? '-nm' : '-n', 'sh', '-c', command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  return child;
}

async function outputOf(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}

/**
 * The names of the private nodes running (`cloud-worker-<port>@localhost`). RabbitMQ keeps the node name out of
 * the command line, so it is read from each Erlang VM's environment.
 */
function privateNodes(): string[] {
  const pids = spawnSync('pgrep', ['beam'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  return pids.flatMap((pid) => {
    const environment = (() => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8');
      } catch {
        return ''; // gone meanwhile
      }
    })();
    return environment.match(/RABBITMQ_NODENAME=(cloud-worker-\d+@localhost)/)?.[1] ?? [];
  });
}

describe('the broker resolution of npm run dev and npm test', () => {
  it('uses AMQP_URL when it answers, and says so without its password', async () => {
    const broker = await resolveBroker({ stateDir: await mkdtemp(join(tmpdir(), 'broker-')), env: { AMQP_URL: LOCAL_BROKER } });
    expect(broker).toMatchObject({ url: LOCAL_BROKER, source: 'AMQP_URL', description: 'RabbitMQ from AMQP_URL: amqp://guest:***@127.0.0.1:5672' });
  });

  it('refuses an AMQP_URL that does not answer, naming the address but not the password, and starts nothing in its place', async () => {
    const before = privateNodes();
    const refusal = resolveBroker({ stateDir: await mkdtemp(join(tmpdir(), 'broker-')), env: { AMQP_URL: 'amqp://someone:s3cret@127.0.0.1:1' }, answerTimeoutMs: 1_000 });
    await expect(refusal).rejects.toThrow(NoBrokerError);
    const message = await refusal.catch((error: Error) => error.message);
    expect(message).toContain('AMQP_URL (amqp://someone:***@127.0.0.1:1) does not answer within 1 s');
    expect(message).not.toContain('s3cret');
    expect(privateNodes()).toEqual(before);
  });

  it('uses the broker at localhost:5672 when AMQP_URL is unset and one answers there', async () => {
    const broker = await resolveBroker({ stateDir: await mkdtemp(join(tmpdir(), 'broker-')), env: {} });
    // Where nothing runs at 5672, the resolution must not claim it did.
    expect(broker.source).toBe(answersLocally ? 'localhost' : 'private node');
    await broker.stop();
  });

  it('starts a private node from the installed RabbitMQ when nothing answers, and stops it afterwards', async () => {
    const { code, stdout, stderr } = await outputOf(inEmptyNetwork([]));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const { description } = JSON.parse(stdout) as { description: string };
    expect(description).toMatch(/^RabbitMQ private node cloud-worker-\d+@localhost at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+/);
    const node = description.match(/cloud-worker-\d+@localhost/)![0];
    await eventually(() => !privateNodes().includes(node), 15_000, `${node} to stop`);
  }, 90_000);

  it('leaves no private node behind when the process that started it is killed with SIGKILL', async () => {
    const holder = inEmptyNetwork(['--hold']);
    const [line] = await once(createInterface({ input: holder.stdout! }), 'line');
    const node = (JSON.parse(line as string) as { description: string }).description.match(/cloud-worker-\d+@localhost/)![0];
    expect(privateNodes()).toContain(node);
    holder.kill('SIGKILL');
    await eventually(() => !privateNodes().includes(node), 20_000, `${node} to end with its parent`);
  }, 90_000);

  it('stops at once, naming the ways to get a broker, when none answers, none is installed and no Docker engine answers', async () => {
    // This machine has a `docker` command but no engine: the command alone does not count.
    const { code, stdout, stderr } = await outputOf(inEmptyNetwork([], { hideRabbitmq: true }));
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toContain('nothing answers at localhost:5672, no RabbitMQ is installed here to start one from, and no Docker engine answers');
    for (const way of ['apt-get install rabbitmq-server', 'brew install rabbitmq', 'docker run', 'AMQP_URL=']) expect(stderr).toContain(way);
  }, 60_000);
});
