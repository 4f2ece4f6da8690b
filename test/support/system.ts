import type { JobRecord } from '@app/contracts';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { Client } from 'minio';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type ImageCatalogue, type KubeSim, type KubeSimOptions } from '../../tools/kube-sim/index.js';
import { tokenListEntry } from '../../tools/local-stack/api-tokens.js';
import { AppProcess } from '../../tools/local-stack/app-process.js';
import { provisionJobsUser, type JobsUser } from '../../tools/local-stack/s3-secret.js';
import { startS3Server, type S3Endpoint, type S3Server } from '../../tools/s3-server/s3-server.js';
import { startS3ServerProcess, type S3ServerProcess } from '../../tools/s3-server/server-process.js';
import { TcpProxy } from './tcp-proxy.js';

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** The api token of the tests' admin (owner `admin`): what ApiClient sends unless told otherwise. */
export const TEST_ADMIN_TOKEN = 'e2e-admin-token';

/** The api's token list with the tests' admin, and any more entries a test needs (see `tokenListEntry`). */
export function authEnv(...more: ReturnType<typeof tokenListEntry>[]): Record<string, string> {
  return { AUTH_TOKENS: JSON.stringify([tokenListEntry('admin', ['admin'], TEST_ADMIN_TOKEN), ...more]) };
}

export interface SystemNames {
  workExchange: string;
  workQueue: string;
  deadLetterQueue: string;
  resultsExchange: string;
  controlExchange: string;
  recordsBucket: string;
}

export interface SystemOptions {
  /** Worker processes started with the system (more can be started later). */
  workers?: number;
  api?: boolean;
  /** 'mstc' uses the names MSTC clients know; the default gives each test file names of its own. */
  names?: 'mstc' | 'unique';
  /**
   * Extra environment for both apps. The api gets the tests' admin token (`authEnv()`) and a submission rate no
   * test reaches unless this says otherwise.
   */
  env?: Record<string, string>;
  sim?: KubeSimOptions;
  /**
   * Routes the apps' RabbitMQ (`amqp`) and S3 (`s3`) connections through TCP proxies that the test cuts and
   * restores (`system.amqpProxy`, `system.s3Proxy`); the test's own clients keep connecting directly.
   */
  proxy?: { amqp?: boolean; s3?: boolean };
  /**
   * Runs the S3 test server in a process of its own (the benchmark: its CPU time apart from the simulator's);
   * its requests are then read with `system.s3.requestLog()`.
   */
  s3Process?: boolean;
}

/** A message of the dead-letter queue, as the worker put it there. */
export interface DeadLetter {
  content: Buffer;
  /** The `x-cloud-worker-rejection` header. */
  reason: string | undefined;
  properties: amqp.MessageProperties;
}

export const NAMESPACE = 'default';

/** `mstc/python-test` for the simulator's catalogue, sleeping this long instead of its default before it ends. */
export function pythonTestImage(sleepSeconds: number): ImageCatalogue {
  return { 'mstc/python-test': { command: ['node', './tools/kube-sim/catalogue/python-test.mjs'], env: { SLEEP_SECONDS: String(sleepSeconds) } } };
}

/**
 * The built-in `sleep-exit` image under names of its own, each sleeping its time before it exits 0, e.g.
 * `napImages({ 'nap/1s': 1000 })`. Its log: `Started <pod>`, `Sleeping <ms> ms`, `Exiting with code 0`.
 */
export function napImages(sleeps: Record<string, number>): ImageCatalogue {
  return Object.fromEntries(Object.entries(sleeps).map(([image, ms]) => [image, { inProcess: 'sleep-exit', env: { SLEEP_MS: String(ms) } }]));
}

/**
 * The whole system on real parts, for end-to-end tests: RabbitMQ (at AMQP_URL), the S3 test server, the
 * Kubernetes simulator, and the api and workers as processes built for production.
 */
export class TestSystem<S3 extends S3Endpoint = S3Server> {
  readonly workers: AppProcess[] = [];
  private stopping: Promise<void> | undefined;
  api: AppProcess | undefined;
  apiUrl = '';
  /** A client of the S3 test server, with the credentials the apps use. */
  readonly s3Client: Client;

  private constructor(
    readonly names: SystemNames,
    readonly s3: S3,
    readonly sim: KubeSim,
    readonly amqpConnection: ChannelModel,
    readonly channel: Channel,
    private readonly env: Record<string, string>,
    private readonly tempDir: string,
    private readonly proxies: { amqp?: TcpProxy; s3?: TcpProxy },
    /** The Jobs' S3 user (JOB_S3_SECRET_NAME's keys). */
    readonly jobsUser: JobsUser,
  ) {
    this.s3Client = new Client({ endPoint: s3.host, port: s3.port, useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey });
  }

  static start(options: SystemOptions & { s3Process: true }): Promise<TestSystem<S3ServerProcess>>;
  static start(options?: SystemOptions & { s3Process?: false }): Promise<TestSystem>;
  static async start(options: SystemOptions = {}): Promise<TestSystem<S3Endpoint>> {
    const tempDir = await mkdtemp(join(tmpdir(), 'cloud-worker-e2e-'));
    const names = options.names === 'mstc' ? mstcNames() : uniqueNames();
    const [s3, sim] = await Promise.all([options.s3Process ? startS3ServerProcess() : startS3Server(), startKubeSim({ kubeconfigPath: join(tempDir, 'kubeconfig'), ...options.sim })]);
    // The Jobs run with least privilege, as in a cluster: a user of their own that cannot reach the records bucket.
    const jobsUser = await provisionJobsUser(s3, sim, names.recordsBucket, NAMESPACE);
    const broker = new URL(AMQP_URL);
    const proxies = {
      amqp: options.proxy?.amqp ? await new TcpProxy(broker.hostname, Number(broker.port || 5672)).listen() : undefined,
      s3: options.proxy?.s3 ? await new TcpProxy(s3.host, s3.port).listen() : undefined,
    };
    const connection = await amqp.connect(AMQP_URL);
    // A test that makes the broker close a channel must not take the whole run down with an unhandled event.
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    const env = {
      ...connectionEnv(names, s3, sim),
      ...jobsUser.env,
      ...(proxies.amqp && { AMQP_URL: viaProxy(AMQP_URL, proxies.amqp) }),
      ...(proxies.s3 && { S3_ENDPOINT: viaProxy(s3.endpoint, proxies.s3) }),
      // Longer than a worker busy with a thousand Jobs takes to finish one, so that no other worker steps in.
      ORPHAN_GRACE_SECONDS: '20',
      WATCH_STALL_SECONDS: '10',
      SHUTDOWN_TIMEOUT_SECONDS: '10',
      ...authEnv(),
      SUBMIT_RATE_PER_MINUTE: '1000000',
      ...options.env,
    };
    const system = new TestSystem(names, s3, sim, connection, channel, env, tempDir, proxies, jobsUser);
    const starting: Promise<unknown>[] = [];
    for (let i = 0; i < (options.workers ?? 1); i++) starting.push(system.startWorker());
    if (options.api ?? true) starting.push(system.startApi());
    // An app that fails to start must not outlive the test run, nor leave the others running.
    const started = await Promise.allSettled(starting);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      await system.stop();
      throw failed.reason;
    }
    return system;
  }

  async startWorker(env: Record<string, string> = {}): Promise<AppProcess> {
    const worker = AppProcess.start('cloud-worker', { ...this.env, WORKER_ID: `worker-${this.workers.length + 1}`, ...env });
    this.workers.push(worker);
    await worker.whenReady();
    return worker;
  }

  async startApi(env: Record<string, string> = {}): Promise<AppProcess> {
    this.api = AppProcess.start('api', { ...this.env, ...env });
    this.apiUrl = await this.api.whenReady();
    return this.api;
  }

  /** The proxy between the apps and RabbitMQ (with `proxy: { amqp: true }`). */
  get amqpProxy(): TcpProxy {
    if (!this.proxies.amqp) throw new Error('the system was started without proxy.amqp');
    return this.proxies.amqp;
  }

  /** The proxy between the apps and the S3 server (with `proxy: { s3: true }`). */
  get s3Proxy(): TcpProxy {
    if (!this.proxies.s3) throw new Error('the system was started without proxy.s3');
    return this.proxies.s3;
  }

  /** A job record as stored, read from the S3 server directly (not through the api or a proxy). */
  async record(id: string): Promise<JobRecord | undefined> {
    const text = await this.objectText(this.names.recordsBucket, `jobs/${id}.json`).catch((error: { code?: string }) => {
      if (error.code === 'NoSuchKey') return undefined;
      throw error;
    });
    return text === undefined ? undefined : (JSON.parse(text) as JobRecord);
  }

  /** Names of the objects in a bucket, in key order. */
  async objectNames(bucket: string, prefix = ''): Promise<string[]> {
    const names: string[] = [];
    // ListObjects v1: the S3 test server cannot page v2 listings (see ObjectStorage.listKeys).
    for await (const item of this.s3Client.listObjects(bucket, prefix, true)) if (item.name) names.push(item.name);
    return names;
  }

  /** How many times each Job was created (201 answers to `create jobs`), by Job name. */
  jobsCreated(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const request of this.sim.requests) {
      if (request.verb !== 'create' || request.resource !== 'jobs' || request.status !== 201 || !request.name) continue;
      counts.set(request.name, (counts.get(request.name) ?? 0) + 1);
    }
    return counts;
  }

  /** Jobs created so far whose name starts with the prefix (each name once, however often it was created). */
  createdJobs(jobNamePrefix = ''): string[] {
    return [...this.jobsCreated().keys()].filter((name) => name.startsWith(jobNamePrefix));
  }

  /** Pods running now whose Job name starts with the prefix (a request's jobName and `-`, or a whole Job name). */
  runningPods(jobNamePrefix: string): number {
    return this.sim.list('pods', NAMESPACE).filter((pod) => pod.metadata.labels?.['job-name']?.startsWith(jobNamePrefix) && pod.status?.phase === 'Running').length;
  }

  /** An object of the S3 test server as text. */
  async objectText(bucket: string, key: string): Promise<string> {
    return Buffer.concat((await (await this.s3Client.getObject(bucket, key)).toArray()) as Buffer[]).toString();
  }

  /** Publishes to the work exchange the way the MSTC Python client does: raw JSON, persistent. */
  publishWork(body: unknown, properties: amqp.Options.Publish = {}): void {
    const content = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    this.channel.publish(this.names.workExchange, this.names.workQueue, content, { persistent: true, contentType: 'application/json', ...properties });
  }

  /** A private reply queue, and the replies that arrive on it. */
  async replyQueue(): Promise<{ queue: string; replies: Array<{ body: Record<string, unknown>; correlationId?: string }> }> {
    const { queue } = await this.channel.assertQueue('', { exclusive: true, autoDelete: true });
    const replies: Array<{ body: Record<string, unknown>; correlationId?: string }> = [];
    await this.channel.consume(queue, (message) => {
      if (!message) return;
      replies.push({ body: JSON.parse(message.content.toString()) as Record<string, unknown>, correlationId: message.properties.correlationId });
    }, { noAck: true });
    return { queue, replies };
  }

  /** Every result event, as it arrives, from a private queue bound to `job.#` (declared before any job runs). */
  async resultEvents(): Promise<Array<{ routingKey: string; record: JobRecord }>> {
    const events: Array<{ routingKey: string; record: JobRecord }> = [];
    await this.channel.assertExchange(this.names.resultsExchange, 'topic', { durable: true });
    const { queue } = await this.channel.assertQueue('', { exclusive: true, autoDelete: true });
    await this.channel.bindQueue(queue, this.names.resultsExchange, 'job.#');
    await this.channel.consume(queue, (message) => {
      if (message) events.push({ routingKey: message.fields.routingKey, record: JSON.parse(message.content.toString()) as JobRecord });
    }, { noAck: true });
    return events;
  }

  /** Every message the worker dead-letters from now on (consumed from the dead-letter queue as it arrives). */
  async deadLetters(): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    await this.channel.assertQueue(this.names.deadLetterQueue, { durable: true });
    await this.channel.consume(this.names.deadLetterQueue, (message) => {
      if (!message) return;
      const reason = message.properties.headers?.['x-cloud-worker-rejection'] as string | undefined;
      letters.push({ content: message.content, reason, properties: message.properties });
    }, { noAck: true });
    return letters;
  }

  /** Stops everything; once only, so a spec may stop the system a test left behind after every test. */
  stop(): Promise<void> {
    return (this.stopping ??= this.stopOnce());
  }

  private async stopOnce(): Promise<void> {
    await Promise.all([...this.workers, ...(this.api ? [this.api] : [])].map((app) => app.kill('SIGKILL')));
    await Promise.all(Object.values(this.proxies).map((proxy) => proxy?.stop()));
    await deleteNames(this.channel, this.names);
    await this.amqpConnection.close().catch(() => undefined);
    await Promise.all([this.sim.stop(), this.s3.stop()]);
    await rm(this.tempDir, { recursive: true, force: true });
  }
}

/** What the apps need to reach this system's RabbitMQ names, S3 server and simulator; nothing else is set (the Jobs' user comes apart). */
export function connectionEnv(names: SystemNames, s3: S3Endpoint, sim: KubeSim): Record<string, string> {
  return {
    AMQP_URL,
    ...namesEnv(names),
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    KUBECONFIG: sim.kubeconfigPath!,
    JOB_NAMESPACE: NAMESPACE,
  };
}

/** The apps' settings for the names. */
export function namesEnv(names: SystemNames): Record<string, string> {
  return {
    WORK_EXCHANGE: names.workExchange,
    WORK_QUEUE: names.workQueue,
    DEAD_LETTER_QUEUE: names.deadLetterQueue,
    RESULTS_EXCHANGE: names.resultsExchange,
    CONTROL_EXCHANGE: names.controlExchange,
    RECORDS_BUCKET: names.recordsBucket,
  };
}

/** Deletes the queues and exchanges of names of a test's own; never the MSTC ones, which others share. */
export async function deleteNames(channel: Channel, names: SystemNames): Promise<void> {
  if (names.workQueue === 'mstc.queue.work') return;
  await channel.deleteQueue(names.workQueue).catch(() => undefined);
  await channel.deleteQueue(names.deadLetterQueue).catch(() => undefined);
  for (const exchange of [names.workExchange, names.resultsExchange, names.controlExchange]) {
    await channel.deleteExchange(exchange).catch(() => undefined);
  }
}

/** RabbitMQ names and a records bucket of a test's own, so that test files share nothing on one broker. */
export function uniqueNames(): SystemNames {
  const prefix = `e2e-${randomUUID().slice(0, 8)}`;
  return {
    workExchange: `${prefix}.exchange`,
    workQueue: `${prefix}.queue.work`,
    deadLetterQueue: `${prefix}.queue.dead-letter`,
    resultsExchange: `${prefix}.results`,
    controlExchange: `${prefix}.control`,
    recordsBucket: `${prefix}-records`,
  };
}

function mstcNames(): SystemNames {
  return {
    workExchange: 'mstc.exchange',
    workQueue: 'mstc.queue.work',
    deadLetterQueue: 'mstc.queue.work.dead-letter',
    resultsExchange: 'mstc.results',
    controlExchange: 'mstc.control',
    recordsBucket: `mstc-${randomUUID().slice(0, 8)}-records`,
  };
}


/** The URL with its host and port replaced by the proxy's. */
function viaProxy(url: string, proxy: TcpProxy): string {
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  return proxied.toString().replace(/\/$/, '');
}

/**
 * Watches a value for `durationMs` and fails as soon as it differs from what it was at the start (compared as
 * JSON): how a test shows that nothing more happens, e.g. no second reply within a resync period.
 */
export async function unchangedFor<T>(read: () => T | Promise<T>, durationMs: number, what = 'value', intervalMs = 100): Promise<T> {
  const first = await read();
  const deadline = Date.now() + durationMs;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const now = await read();
    if (JSON.stringify(now) !== JSON.stringify(first)) {
      throw new Error(`${what} changed within ${durationMs} ms: from ${JSON.stringify(first)} to ${JSON.stringify(now)}`);
    }
  }
  return first;
}

/** Polls (every `intervalMs`) until the check returns a value (not undefined, null or false), or fails with the last state seen. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 20_000,
  what = 'condition',
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${what} not met within ${timeoutMs} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}
