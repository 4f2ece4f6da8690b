/**
 * In-memory stand-ins for the api's edges (the record store, the log store, the S3 store's ping, the work queue
 * client, the RabbitMQ publisher), bound in place of the real ones in a testing module of the api's own modules.
 * Each keeps what was asked of it and can be told to fail, so that a spec drives one fault at a time.
 */
import { ApiConfig } from '@app/config';
import { applyStatusChange, JOB_STATUSES, type IdentifiedRequest, type JobRecord, type JobStatus, type StatusChange, type TransitionResult } from '@app/contracts';
import { AmqpPublisher, PublishUnavailableError } from '@app/messaging';
import { KubeApi, KubeApiError } from '@app/kube';
import { createRootLogger } from '@app/observability';
import type { V1Pod, V1PodList, V1Secret } from '@kubernetes/client-node';
import { InvalidCursorError, JobLogs, JobRecordStore, ObjectStorage, ObjectTooLargeError, type ObjectInfo, type PutOptions, type RecordPage } from '@app/storage';
import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Options } from 'amqplib';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ApiModule } from '../src/api.module.js';
import type { Role } from '../src/auth/caller.js';
import { sha256Of, StaticTokens } from '../src/auth/static-tokens.js';
import { WorkQueue } from '../src/jobs/work-queue.js';
import { ResultFeed } from '../src/live/result-feed.service.js';
import { EventRing, recordEvent, type RecordEvent } from '../src/live/sse.js';

/** Records in a map, listed newest first; a cursor is the offset of the next page. */
export class FakeRecordStore implements Pick<JobRecordStore, 'init' | 'create' | 'get' | 'update' | 'remove' | 'list' | 'countByStatus'> {
  readonly records = new Map<string, JobRecord>();
  /** Set to make every read fail, as an S3 store that cannot be reached. */
  unreachable: Error | undefined;

  async init(): Promise<void> {}

  async create(record: JobRecord): Promise<{ created: boolean; record: JobRecord }> {
    const existing = await this.get(record.id);
    if (existing) return { created: false, record: existing };
    this.records.set(record.id, record);
    return { created: true, record };
  }

  async get(id: string): Promise<JobRecord | undefined> {
    if (this.unreachable) throw this.unreachable;
    return this.records.get(id);
  }

  async update(id: string, change: StatusChange): Promise<TransitionResult> {
    const result = applyStatusChange(this.records.get(id)!, change);
    this.records.set(id, result.record);
    return result;
  }

  async remove(record: JobRecord): Promise<void> {
    this.records.delete(record.id);
  }

  async list(statuses: readonly JobStatus[] | 'all', limit: number, cursor?: string, owner?: string): Promise<RecordPage> {
    const offset = cursor === undefined ? 0 : Number(cursor);
    if (!Number.isInteger(offset) || offset < 0) throw new InvalidCursorError();
    const matching = [...this.records.values()]
      .filter((record) => statuses === 'all' || statuses.includes(record.status))
      .filter((record) => owner === undefined || record.owner === owner)
      .sort((a, b) => b.queuedAt.localeCompare(a.queuedAt) || b.id.localeCompare(a.id));
    const end = offset + limit;
    return { records: matching.slice(offset, end), ...(end < matching.length && { nextCursor: String(end) }) };
  }

  async countByStatus(limit: number, owner?: string): Promise<Record<JobStatus | 'all', number>> {
    if (this.unreachable) throw this.unreachable;
    const mine = [...this.records.values()].filter((record) => owner === undefined || record.owner === owner);
    const count = (status?: JobStatus) => Math.min(limit, mine.filter((record) => status === undefined || record.status === status).length);
    return { all: count(), ...(Object.fromEntries(JOB_STATUSES.map((status) => [status, count(status)])) as Record<JobStatus, number>) };
  }
}

/** Log objects by `<bucket>/<object>`. */
export class FakeJobLogs implements Pick<JobLogs, 'open'> {
  readonly objects = new Map<string, string>();

  async open(bucket: string, objectName: string): Promise<{ stream: Readable; size: number } | undefined> {
    const text = this.objects.get(`${bucket}/${objectName}`);
    return text === undefined ? undefined : { stream: Readable.from([Buffer.from(text)]), size: Buffer.byteLength(text) };
  }
}

export interface PublishedMessage {
  exchange: string;
  routingKey: string;
  body: unknown;
  options: Options.Publish;
}

export class FakeAmqpPublisher implements Pick<AmqpPublisher, 'isConnected' | 'onReconnect' | 'publish' | 'close'> {
  readonly messages: PublishedMessage[] = [];
  down = false;
  /** How many of the next publishes RabbitMQ does not confirm. */
  unconfirmed = 0;

  isConnected(): boolean {
    return !this.down;
  }

  onReconnect(): void {}

  async publish(exchange: string, routingKey: string, body: unknown, options: Options.Publish = {}): Promise<void> {
    if (this.down) throw new PublishUnavailableError('not connected');
    if (this.unconfirmed > 0) {
      this.unconfirmed--;
      throw new PublishUnavailableError('timeout');
    }
    this.messages.push({ exchange, routingKey, body, options });
  }

  async close(): Promise<void> {}

  /** The routing keys of the result events of one job, in the order published. */
  events(id: string): string[] {
    return this.messages.filter((message) => (message.body as Partial<JobRecord>).id === id).map((message) => message.routingKey);
  }
}

export class FakeWorkQueue implements Pick<WorkQueue, 'isConnected' | 'publish'> {
  readonly requests: IdentifiedRequest[] = [];
  down = false;
  /** Set to make each publish fail as one that RabbitMQ does not confirm in time. */
  unconfirmed = false;

  isConnected(): boolean {
    return !this.down;
  }

  async publish(request: IdentifiedRequest): Promise<void> {
    if (this.unconfirmed) throw new Error('RabbitMQ did not confirm the message within 5000 ms');
    this.requests.push(request);
  }
}

/** Objects by `<bucket>/<key>`, streamed in and out as the store does. */
export class FakeObjectStorage implements Pick<ObjectStorage, 'ping' | 'ensureBucket' | 'putStream' | 'stat' | 'open'> {
  /** Set to make the store unreachable. */
  failure: Error | undefined;
  readonly objects = new Map<string, ObjectInfo & { body: Buffer }>();
  readonly buckets = new Set<string>();

  async ping(): Promise<void> {
    if (this.failure) throw this.failure;
  }

  async ensureBucket(bucket: string): Promise<void> {
    this.buckets.add(bucket);
  }

  /** Reads the stream as it comes, and stores nothing from one past `maxBytes`. */
  async putStream(bucket: string, key: string, body: Readable, options: Pick<PutOptions, 'contentType' | 'metadata'> & { maxBytes?: number } = {}): Promise<{ etag: string; size: number }> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += (chunk as Buffer).length;
      if (size > (options.maxBytes ?? Infinity)) throw new ObjectTooLargeError(options.maxBytes!);
      chunks.push(chunk as Buffer);
    }
    const content = Buffer.concat(chunks);
    const etag = createHash('md5').update(content).digest('hex');
    this.objects.set(`${bucket}/${key}`, { body: content, size, etag, contentType: options.contentType ?? 'application/octet-stream', metadata: options.metadata ?? {} });
    return { etag, size };
  }

  async stat(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    const object = this.objects.get(`${bucket}/${key}`);
    if (!object) return undefined;
    const { body: _body, ...info } = object;
    return info;
  }

  async open(bucket: string, key: string): Promise<({ stream: Readable } & ObjectInfo) | undefined> {
    const object = this.objects.get(`${bucket}/${key}`);
    if (!object) return undefined;
    const { body, ...info } = object;
    return { stream: Readable.from([body]), ...info };
  }
}

/** The results exchange as the api sees it: `emit` delivers a record change to the subscribers. */
export class FakeResultFeed implements Pick<ResultFeed, 'subscribe' | 'after'> {
  private readonly listeners = new Set<(event: RecordEvent) => void>();
  private readonly ring = new EventRing(100);

  subscribe(listener: (event: RecordEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  after(id: string): RecordEvent[] | undefined {
    return this.ring.after(id);
  }

  /** How many streams listen now: none left once they have ended. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  emit(record: JobRecord): void {
    const event = recordEvent(record);
    if (this.ring.add(event)) for (const listener of this.listeners) listener(event);
  }
}

/** The Kubernetes API the api reads: pods with their logs (whole, as they are now), and Secrets. */
export class FakeKube implements Pick<KubeApi, 'listPods' | 'openPodLog' | 'getSecret'> {
  readonly pods: Array<{ pod: V1Pod; log?: string }> = [];
  readonly secrets = new Map<string, V1Secret>();
  /** Set to make reading a Secret fail, as without the Role's `get secrets`. */
  secretsForbidden = false;

  addPod(uniqueJobName: string, name: string, log: string | undefined, backoffLimit = 0): void {
    const metadata = { name, labels: { 'job-name': uniqueJobName }, annotations: { 'cloud-worker.io/backoff-limit': String(backoffLimit) }, creationTimestamp: new Date(Date.now() + this.pods.length * 1000) };
    this.pods.push({ pod: { metadata }, log });
  }

  async listPods(_namespace: string, labelSelector: string): Promise<V1PodList> {
    const jobName = labelSelector.replace('job-name=', '');
    return { items: this.pods.filter(({ pod }) => pod.metadata?.labels?.['job-name'] === jobName).map(({ pod }) => pod) };
  }

  async openPodLog(_namespace: string, name: string): Promise<Readable | undefined> {
    const found = this.pods.find(({ pod }) => pod.metadata?.name === name);
    if (!found) return undefined;
    if (found.log === undefined) throw new KubeApiError(400, 'BadRequest', `container in pod "${name}" is waiting to start: ContainerCreating`);
    return Readable.from([Buffer.from(found.log)]);
  }

  async getSecret(_namespace: string, name: string): Promise<V1Secret | undefined> {
    if (this.secretsForbidden) throw new KubeApiError(403, 'Forbidden', 'secrets is forbidden');
    return this.secrets.get(name);
  }
}

/** The static tokens of the specs, by name: an admin, two owners that may do anything with their own jobs, a reader. */
export const SPEC_TOKENS = { admin: 'spec-admin-token', alice: 'spec-alice-token', bob: 'spec-bob-token', reader: 'spec-reader-token' } as const;
const SPEC_ROLES: Record<keyof typeof SPEC_TOKENS, Role[]> = { admin: ['admin'], alice: ['submit', 'read', 'cancel'], bob: ['submit', 'read', 'cancel'], reader: ['read'] };

/** `Authorization` for one of the spec tokens. */
export function bearer(name: keyof typeof SPEC_TOKENS): string {
  return `Bearer ${SPEC_TOKENS[name]}`;
}

/** The whole api (its modules, pipes, filter and body parser as in production) over one set of fakes. */
export class FakeEdges {
  readonly config = new ApiConfig();
  readonly staticTokens = new StaticTokens(
    Object.entries(SPEC_TOKENS).map(([name, token]) => ({ name, roles: SPEC_ROLES[name as keyof typeof SPEC_TOKENS], sha256: sha256Of(token) })),
  );
  readonly records = new FakeRecordStore();
  readonly logs = new FakeJobLogs();
  readonly storage = new FakeObjectStorage();
  readonly workQueue = new FakeWorkQueue();
  readonly publisher = new FakeAmqpPublisher();
  readonly feed = new FakeResultFeed();
  readonly kube = new FakeKube();

  async compile(): Promise<TestingModule> {
    const logger = await createRootLogger({ app: 'spec', level: 'silent', format: 'json' });
    return Test.createTestingModule({ imports: [ApiModule.register(this.config, logger, this.staticTokens)] })
      .overrideProvider(JobRecordStore)
      .useValue(this.records)
      .overrideProvider(JobLogs)
      .useValue(this.logs)
      .overrideProvider(ObjectStorage)
      .useValue(this.storage)
      .overrideProvider(WorkQueue)
      .useValue(this.workQueue)
      .overrideProvider(AmqpPublisher)
      .useValue(this.publisher)
      .overrideProvider(ResultFeed)
      .useValue(this.feed)
      .overrideProvider(KubeApi)
      .useValue(this.kube)
      .compile();
  }

  /** The api as an HTTP app, for supertest; Nest's own body parser is off, as in `main.ts`. */
  async app(): Promise<INestApplication> {
    const app = (await this.compile()).createNestApplication({ bodyParser: false, logger: false });
    return app.init();
  }
}
