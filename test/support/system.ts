import type { JobRecord } from '@app/contracts';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { Client } from 'minio';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type ImageCatalogue, type KubeSim, type KubeSimOptions } from '../kube-sim/index.js';
import { AppProcess } from './apps.js';
import { startS3Server, type S3Server } from './s3-server.js';

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

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
  /** Extra environment for both apps. */
  env?: Record<string, string>;
  sim?: KubeSimOptions;
}

export const NAMESPACE = 'default';
export const S3_SECRET = 'cloud-worker-s3';

/** `mstc/python-test` for the simulator's catalogue, sleeping this long instead of its default before it ends. */
export function pythonTestImage(sleepSeconds: number): ImageCatalogue {
  return { 'mstc/python-test': { command: ['node', './test/images/python-test.mjs'], env: { SLEEP_SECONDS: String(sleepSeconds) } } };
}

/**
 * The whole system on real parts, for end-to-end tests: RabbitMQ (at AMQP_URL), the S3 test server, the
 * Kubernetes simulator, and the api and workers as processes built for production.
 */
export class TestSystem {
  readonly workers: AppProcess[] = [];
  api: AppProcess | undefined;
  apiUrl = '';
  /** A client of the S3 test server, with the credentials the apps use. */
  readonly s3Client: Client;

  private constructor(
    readonly names: SystemNames,
    readonly s3: S3Server,
    readonly sim: KubeSim,
    readonly amqpConnection: ChannelModel,
    readonly channel: Channel,
    private readonly env: Record<string, string>,
    private readonly tempDir: string,
  ) {
    this.s3Client = new Client({ endPoint: s3.host, port: s3.port, useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey });
  }

  static async start(options: SystemOptions = {}): Promise<TestSystem> {
    const tempDir = await mkdtemp(join(tmpdir(), 'cloud-worker-e2e-'));
    const names = options.names === 'mstc' ? mstcNames() : uniqueNames();
    const [s3, sim] = await Promise.all([startS3Server(), startKubeSim({ kubeconfigPath: join(tempDir, 'kubeconfig'), ...options.sim })]);
    await createS3Secret(sim, s3);
    const connection = await amqp.connect(AMQP_URL);
    // A test that makes the broker close a channel must not take the whole run down with an unhandled event.
    connection.on('error', () => undefined);
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    const env = {
      ...connectionEnv(names, s3, sim),
      ORPHAN_GRACE_SECONDS: '1',
      WATCH_STALL_SECONDS: '10',
      SHUTDOWN_TIMEOUT_SECONDS: '10',
      ...options.env,
    };
    const system = new TestSystem(names, s3, sim, connection, channel, env, tempDir);
    const starting: Promise<unknown>[] = [];
    for (let i = 0; i < (options.workers ?? 1); i++) starting.push(system.startWorker());
    if (options.api ?? true) starting.push(system.startApi());
    await Promise.all(starting);
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

  async stop(): Promise<void> {
    await Promise.all([...this.workers, ...(this.api ? [this.api] : [])].map((app) => app.kill('SIGKILL')));
    if (this.names.workQueue !== 'mstc.queue.work') {
      await this.channel.deleteQueue(this.names.workQueue).catch(() => undefined);
      await this.channel.deleteQueue(this.names.deadLetterQueue).catch(() => undefined);
      for (const exchange of [this.names.workExchange, this.names.resultsExchange, this.names.controlExchange]) {
        await this.channel.deleteExchange(exchange).catch(() => undefined);
      }
    }
    await this.amqpConnection.close().catch(() => undefined);
    await Promise.all([this.sim.stop(), this.s3.stop()]);
    await rm(this.tempDir, { recursive: true, force: true });
  }
}

/** What the apps need to reach this system's RabbitMQ names, S3 server and simulator; nothing else is set. */
export function connectionEnv(names: SystemNames, s3: S3Server, sim: KubeSim): Record<string, string> {
  return {
    AMQP_URL,
    WORK_EXCHANGE: names.workExchange,
    WORK_QUEUE: names.workQueue,
    DEAD_LETTER_QUEUE: names.deadLetterQueue,
    RESULTS_EXCHANGE: names.resultsExchange,
    CONTROL_EXCHANGE: names.controlExchange,
    RECORDS_BUCKET: names.recordsBucket,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    KUBECONFIG: sim.kubeconfigPath!,
    JOB_NAMESPACE: NAMESPACE,
    JOB_S3_SECRET_NAME: S3_SECRET,
  };
}

function uniqueNames(): SystemNames {
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

/** The Secret the Jobs read their S3 credentials from, as the Helm chart creates it in a cluster. */
export async function createS3Secret(sim: KubeSim, credentials: { accessKey: string; secretKey: string }): Promise<void> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(sim.kubeconfig);
  await kubeConfig.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace: NAMESPACE,
    body: { metadata: { name: S3_SECRET }, stringData: { accessKey: credentials.accessKey, secretKey: credentials.secretKey } },
  });
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
