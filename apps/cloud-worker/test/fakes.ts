/**
 * In-memory stand-ins for the worker's edges (the Kubernetes API and pod informer, the record store, the log
 * store, the output buckets' listings, the RabbitMQ publisher, a message delivery), for unit specs of the lifecycle with `@nestjs/testing`.
 * Each records what was asked of it and can be told to fail, so that a spec drives one fault at a time.
 */
import { applyStatusChange, type JobOutput, type JobRecord, type StatusChange, type TransitionResult } from '@app/contracts';
import { JOB_NAME_LABEL, KubeApiError, REQUEST_ID_LABEL, type JsonPatchOperation, type PodChange } from '@app/kube';
import { PublishUnavailableError } from '@app/messaging';
import type { V1Job, V1JobList, V1Pod } from '@kubernetes/client-node';
import type { Options } from 'amqplib';
import { S3Error } from 'minio';
import { Readable } from 'node:stream';
import type { Delivery } from '../src/answers/delivery.js';

/** A queue of failures to throw, one per call, before calls succeed again. */
class Faults {
  private readonly pending: unknown[] = [];

  next(...errors: unknown[]): void {
    this.pending.push(...errors);
  }

  take(): void {
    const error = this.pending.shift();
    if (error !== undefined) throw error;
  }
}

export class FakeKube {
  readonly jobs = new Map<string, V1Job>();
  readonly logs = new Map<string, string>();
  readonly requests: string[] = [];
  readonly faults = { create: new Faults(), log: new Faults(), patch: new Faults(), list: new Faults() };

  async createJob(_namespace: string, job: V1Job): Promise<V1Job> {
    this.requests.push(`create ${job.metadata!.name}`);
    this.faults.create.take();
    if (this.jobs.has(job.metadata!.name!)) throw new KubeApiError(409, 'AlreadyExists', 'exists');
    const created = { ...job, metadata: { ...job.metadata, creationTimestamp: new Date() } };
    this.jobs.set(job.metadata!.name!, created);
    return structuredClone(created);
  }

  async getJob(_namespace: string, name: string): Promise<V1Job | undefined> {
    this.requests.push(`get ${name}`);
    const job = this.jobs.get(name);
    return job && structuredClone(job);
  }

  async listJobs(): Promise<V1JobList> {
    this.requests.push('list');
    this.faults.list.take();
    return { items: [...this.jobs.values()].map((job) => structuredClone(job)) };
  }

  async listPods(): Promise<{ items: V1Pod[] }> {
    this.requests.push('list pods');
    return { items: [] };
  }

  async patchJob(_namespace: string, name: string, operations: JsonPatchOperation[]): Promise<V1Job> {
    this.requests.push(`patch ${name}`);
    this.faults.patch.take();
    const job = this.jobs.get(name);
    if (!job) throw new KubeApiError(404, 'NotFound', 'gone');
    for (const { path, value } of operations) {
      if (path.startsWith('/metadata/annotations/')) job.metadata!.annotations = { ...job.metadata!.annotations, [path.split('/').pop()!.replace('~1', '/')]: value as string };
      if (path === '/spec/ttlSecondsAfterFinished') job.spec!.ttlSecondsAfterFinished = value as number;
    }
    return structuredClone(job);
  }

  async deleteJob(_namespace: string, name: string): Promise<boolean> {
    this.requests.push(`delete ${name}`);
    return this.jobs.delete(name);
  }

  async openPodLog(_namespace: string, name: string): Promise<Readable | undefined> {
    this.requests.push(`log ${name}`);
    this.faults.log.take();
    const text = this.logs.get(name);
    return text === undefined ? undefined : Readable.from([Buffer.from(text)]);
  }

  count(prefix: string): number {
    return this.requests.filter((request) => request.startsWith(prefix)).length;
  }
}

/** The pods of each Job, changed by the spec as the kubelet would change them. */
export class FakeInformer {
  private readonly pods = new Map<string, V1Pod>();
  private readonly listeners = new Set<(change: PodChange) => void>();

  onChange(listener: (change: PodChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {}

  podsOfJob(uniqueJobName: string): V1Pod[] {
    return [...this.pods.values()].filter((pod) => pod.metadata!.labels![JOB_NAME_LABEL] === uniqueJobName);
  }

  /** A pod of the Job in the given state: running, or terminated with an exit code. */
  setPod(job: V1Job, state: 'running' | { exitCode: number } | { waiting: { reason: string; message: string } }, podName = `${job.metadata!.name}-pod`): void {
    const container = job.spec!.template.spec!.containers[0].name;
    const pod: V1Pod = {
      metadata: { name: podName, creationTimestamp: new Date(), labels: { [JOB_NAME_LABEL]: job.metadata!.name!, [REQUEST_ID_LABEL]: job.metadata!.labels![REQUEST_ID_LABEL] } },
      status: { containerStatuses: [{ name: container, image: '', imageID: '', ready: false, restartCount: 0, state: state === 'running' ? { running: {} } : 'waiting' in state ? state : { terminated: { exitCode: state.exitCode, reason: state.exitCode ? 'Error' : 'Completed' } } }] },
    };
    this.pods.set(podName, pod);
    this.emit({ type: 'upsert', pod, uniqueJobName: job.metadata!.name! });
  }

  removePods(uniqueJobName: string): void {
    for (const pod of this.podsOfJob(uniqueJobName)) {
      this.pods.delete(pod.metadata!.name!);
      this.emit({ type: 'delete', pod, uniqueJobName });
    }
  }

  private emit(change: PodChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

export class FakeRecords {
  readonly records = new Map<string, JobRecord>();
  /** `update` and `create` fail before writing; `answer` after `update` or `create` wrote (a connection cut while the answer was on its way). */
  readonly faults = { get: new Faults(), create: new Faults(), update: new Faults(), answer: new Faults() };
  reads = 0;

  async get(id: string): Promise<JobRecord | undefined> {
    this.faults.get.take();
    this.reads++;
    return this.records.get(id);
  }

  async create(record: JobRecord): Promise<{ created: boolean; record: JobRecord }> {
    this.faults.create.take();
    const existing = this.records.get(record.id);
    if (existing) return { created: false, record: existing };
    this.records.set(record.id, record);
    this.faults.answer.take();
    return { created: true, record };
  }

  async update(id: string, change: StatusChange): Promise<TransitionResult> {
    this.faults.update.take();
    const result = applyStatusChange(this.records.get(id)!, change);
    this.records.set(id, result.record);
    this.faults.answer.take();
    return result;
  }
}

/** The log objects of the output buckets; a bucket can be made to refuse writes as S3 does (AccessDenied). */
export class FakeJobLogs {
  readonly objects = new Map<string, string>();
  readonly deniedBuckets = new Set<string>();
  puts = 0;

  async storeStream(bucket: string, objectName: string, body: Readable): Promise<{ size: number }> {
    this.puts++;
    if (this.deniedBuckets.has(bucket)) {
      body.resume();
      throw Object.assign(new S3Error('Access Denied.'), { code: 'AccessDenied' });
    }
    const text = Buffer.concat(await body.toArray()).toString();
    this.objects.set(`${bucket}/${objectName}`, text);
    return { size: text.length };
  }

  async exists(bucket: string, objectName: string): Promise<boolean> {
    return this.objects.has(`${bucket}/${objectName}`);
  }
}

/** Objects of the output buckets as the store lists them; a bucket can be made to refuse (AccessDenied). */
export class FakeOutputStorage {
  /** By `<bucket>/<name>`. */
  readonly objects = new Map<string, JobOutput & { body: string }>();
  readonly deniedBuckets = new Set<string>();
  /** Every request made, as `LIST <bucket>` or `PUT <bucket>/<name>`. */
  readonly requests: string[] = [];

  /** An object written now (or at `lastModified`). */
  write(bucket: string, name: string, body: string, lastModified = new Date().toISOString()): void {
    this.objects.set(`${bucket}/${name}`, { name, size: Buffer.byteLength(body), etag: `etag-of-${name}`, lastModified, body });
  }

  async ensureBucket(): Promise<void> {}

  async listObjects(bucket: string, prefix: string, options: { startAfter?: string; maxKeys: number }): Promise<{ objects: JobOutput[]; truncated: boolean }> {
    this.requests.push(`LIST ${bucket}`);
    this.refuse(bucket);
    const names = [...this.objects.keys()]
      .filter((key) => key.startsWith(`${bucket}/${prefix}`) && key.slice(bucket.length + 1) > (options.startAfter ?? ''))
      .sort();
    const objects = names.slice(0, options.maxKeys).map((key) => {
      const { body: _body, ...listed } = this.objects.get(key)!;
      return listed;
    });
    return { objects, truncated: names.length > options.maxKeys };
  }

  async put(bucket: string, name: string, body: string): Promise<string> {
    this.requests.push(`PUT ${bucket}/${name}`);
    this.refuse(bucket);
    this.write(bucket, name, body);
    return `etag-of-${name}`;
  }

  private refuse(bucket: string): void {
    if (this.deniedBuckets.has(bucket)) throw Object.assign(new S3Error('Access Denied.'), { code: 'AccessDenied' });
  }
}

export interface PublishedMessage {
  exchange?: string;
  routingKey?: string;
  queue?: string;
  body: unknown;
  options: Options.Publish;
}

export class FakePublisher {
  readonly messages: PublishedMessage[] = [];
  readonly faults = new Faults();
  down = false;

  isConnected(): boolean {
    return !this.down;
  }

  onReconnect(): void {}

  async publish(exchange: string, routingKey: string, body: unknown, options: Options.Publish = {}): Promise<void> {
    this.check();
    this.messages.push({ exchange, routingKey, body, options });
  }

  async sendToQueue(queue: string, body: unknown, options: Options.Publish = {}): Promise<void> {
    this.check();
    this.messages.push({ queue, body, options });
  }

  events(id: string): string[] {
    return this.messages.filter((message) => message.exchange && (message.body as JobRecord).id === id).map((message) => message.routingKey!);
  }

  to(queue: string): PublishedMessage[] {
    return this.messages.filter((message) => message.queue === queue);
  }

  private check(): void {
    if (this.down) throw new PublishUnavailableError('not connected');
    this.faults.take();
  }
}

export class FakeDelivery implements Delivery {
  readonly message;
  readonly replyTo: string;
  readonly correlationId: string;
  acked = false;
  live = true;
  redelivered = false;
  recorded = false;

  constructor(body: unknown, id: string) {
    this.replyTo = `reply-${id}`;
    this.correlationId = id;
    this.message = {
      content: Buffer.from(JSON.stringify(body)),
      fields: { exchange: 'work', routingKey: 'work', deliveryTag: 1, redelivered: false, consumerTag: 'c' },
      properties: { replyTo: this.replyTo, correlationId: id, headers: {} } as never,
    };
  }

  isLive(): boolean {
    return this.live && !this.acked;
  }

  ack(): void {
    this.acked = true;
  }
}
