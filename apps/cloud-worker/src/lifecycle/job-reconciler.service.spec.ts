import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { loadConfig, WorkerConfig } from '@app/config';
import { newJobRecord, newRunningJobRecord, type IdentifiedRequest, type JobRecord } from '@app/contracts';
import { buildJob, JOB_NAMESPACE, KubeApi, KubeApiError, PodInformer, type JobSettings } from '@app/kube';
import { AmqpPublisher, ResultEvents } from '@app/messaging';
import { createRootLogger, ROOT_LOGGER } from '@app/observability';
import { JobLogs, JobRecordStore, ObjectStorage } from '@app/storage';
import type { V1Job } from '@kubernetes/client-node';
import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { FakeDelivery, FakeInformer, FakeJobLogs, FakeKube, FakeOutputStorage, FakePublisher, FakeRecords } from '../../test/fakes.js';
import { DeadLetters } from '../answers/dead-letters.js';
import { Replies } from '../answers/replies.js';
import { JobCredentials } from '../credentials/job-credentials.service.js';
import { JOB_SETTINGS } from '../kubernetes/kubernetes.module.js';
import { LogCapture } from '../logs/log-capture.service.js';
import { OutputManifests } from '../outputs/output-manifests.service.js';
import { WorkerMetrics } from '../worker.metrics.js';
import { JobReconciler } from './job-reconciler.service.js';

const settings: JobSettings = {
  namespace: 'default',
  backoffLimit: 0,
  timeOutUnitSeconds: 1,
  deadlineMarginSeconds: 120,
  workerId: 'worker-1',
  imagePullSecrets: [],
  nodeSelector: {},
  tolerations: [],
  runAsNonRoot: false,
  s3: { host: 'localhost', port: 9000, secretName: 'cloud-worker-s3' },
};

async function until<T>(check: () => T | undefined | false, what: string, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`${what} not met within ${timeoutMs} ms`);
}

describe('JobReconciler', () => {
  let module: TestingModule;
  let reconciler: JobReconciler;
  let kube: FakeKube;
  let informer: FakeInformer;
  let records: FakeRecords;
  let logs: FakeJobLogs;
  let storage: FakeOutputStorage;
  let publisher: FakePublisher;
  /** The worker's log lines (at `info`), parsed. */
  let logLines: Array<{ msg: string; status?: string }>;

  async function start(env: Record<string, string> = {}, credentials?: Partial<JobCredentials>): Promise<void> {
    const config = loadConfig(WorkerConfig, { RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '5', MAX_FAILED_ATTEMPTS: '3', ORPHAN_GRACE_SECONDS: '0', WORKER_ID: 'worker-1', ...env });
    module = await Test.createTestingModule({
      providers: [
        JobReconciler,
        LogCapture,
        OutputManifests,
        Replies,
        DeadLetters,
        WorkerMetrics,
        { provide: Registry, useValue: new Registry() },
        { provide: WorkerConfig, useValue: config },
        { provide: KubeApi, useValue: kube },
        { provide: PodInformer, useValue: informer },
        { provide: JobRecordStore, useValue: records },
        { provide: JobLogs, useValue: logs },
        { provide: ObjectStorage, useValue: storage },
        { provide: AmqpPublisher, useValue: publisher },
        { provide: ResultEvents, useFactory: () => new ResultEvents(publisher as unknown as AmqpPublisher, 'results') },
        { provide: JOB_SETTINGS, useValue: settings },
        { provide: JOB_NAMESPACE, useValue: 'default' },
        credentials ? { provide: JobCredentials, useValue: credentials } : JobCredentials,
        { provide: ROOT_LOGGER, useValue: await createRootLogger({ app: 'spec', level: 'info', format: 'json', destination: { write: (line: string) => void logLines.push(JSON.parse(line)) } }) },
      ],
    }).compile();
    await module.init();
    reconciler = module.get(JobReconciler);
  }

  beforeEach(() => {
    kube = new FakeKube();
    informer = new FakeInformer();
    records = new FakeRecords();
    logs = new FakeJobLogs();
    storage = new FakeOutputStorage();
    publisher = new FakePublisher();
    logLines = [];
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await reconciler?.beforeApplicationShutdown();
    await module?.close();
  });

  /** A request's message; `recorded` when the api made its record before publishing it (the record is then read). */
  function submit(overrides: Partial<IdentifiedRequest> = {}, recorded = false): { request: IdentifiedRequest; delivery: FakeDelivery } {
    const request: IdentifiedRequest = { id: randomUUID(), image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'in.bucket', outputBucket: 'in.bucket', timeOut: 15, ...overrides };
    const delivery = new FakeDelivery(request, request.id);
    delivery.recorded = recorded;
    reconciler.receive(request, delivery, 'mstc');
    return { request, delivery };
  }

  /** The request's message again, as RabbitMQ hands it to the next consumer once its holder let go of it. */
  function redeliver(request: IdentifiedRequest): FakeDelivery {
    const delivery = new FakeDelivery(request, request.id);
    delivery.redelivered = true;
    reconciler.receive(request, delivery, 'mstc');
    return delivery;
  }

  const jobOf = (request: IdentifiedRequest) => until(() => kube.jobs.get(`${request.jobName}-${request.id}`), 'the Job');
  const recordOf = (request: IdentifiedRequest) => records.records.get(request.id);
  const replyTo = (delivery: FakeDelivery) => publisher.to(delivery.replyTo).map((message) => message.body as Record<string, unknown>);

  /** Runs a submitted request's Job to its end: its pod runs, writes its log and exits. */
  async function runToEnd(request: IdentifiedRequest, exitCode = 0, log = 'Started\nSUCCESS\n'): Promise<V1Job> {
    const job = await jobOf(request);
    await until(() => recordOf(request)?.status === 'running', 'the record to say running');
    kube.logs.set(`${job.metadata!.name}-pod`, log);
    informer.setPod(job, { exitCode });
    return job;
  }

  it("masks the Jobs' secret key in the stored log, but not their access key (an identifier)", async () => {
    await start({ JOB_S3_ACCESS_KEY: 'jobs-user', JOB_S3_SECRET_KEY: 'jobs-secret-key' });
    const { request } = submit();
    await runToEnd(request, 0, 'MINIO_ACCESS_KEY: jobs-user\nMINIO_SECRET_KEY: jobs-secret-key\nSUCCESS\n');
    await until(() => reconciler.inFlight() === 0, 'the request to be finished');
    expect(logs.objects.get(`in.bucket/test-job-${request.id}.log`)).toBe('MINIO_ACCESS_KEY: jobs-user\nMINIO_SECRET_KEY: ***\nSUCCESS\n');
  });

  describe('with per-Job S3 credentials (JOB_S3_CREDENTIALS=sts)', () => {
    const sts = { JOB_S3_CREDENTIALS: 'sts', JOB_S3_ACCESS_KEY: 'jobs-user', JOB_S3_SECRET_KEY: 'jobs-secret-key' };

    it("gives the Job its credentials after creating it (the Secret is the Job's), retries a failure, and masks them in its log", async () => {
      const steps: string[] = [];
      let failures = 1;
      await start(sts, {
        perJob: true,
        ensure: async (record, job) => {
          steps.push(`credentials for ${job.metadata!.name} (${record.jobName})`);
          if (failures-- > 0) throw Object.assign(new Error('STS is down'), { code: 'ECONNREFUSED' });
        },
        secretsOf: async () => ['jobs-secret-key', 'temporary-secret', 'session-token'],
        forget: () => undefined,
      });
      const { request } = submit();
      await until(() => steps.length === 2, 'the credentials, at the second try');
      const job = await runToEnd(request, 0, 'AWS_SECRET_ACCESS_KEY: temporary-secret\nAWS_SESSION_TOKEN: session-token\n');
      await until(() => reconciler.inFlight() === 0, 'the request to be finished');
      expect(steps).toEqual([`credentials for ${job.metadata!.name} (${job.metadata!.name})`, `credentials for ${job.metadata!.name} (${job.metadata!.name})`]);
      expect(logs.objects.get(`in.bucket/test-job-${request.id}.log`)).toBe('AWS_SECRET_ACCESS_KEY: ***\nAWS_SESSION_TOKEN: ***\n');
    });

    it("waits for a pod that started before the Job's Secret existed, instead of failing it fast", async () => {
      let release: () => void = () => undefined;
      const issued = new Promise<void>((resolve) => (release = resolve));
      await start(sts, { perJob: true, ensure: () => issued, secretsOf: async () => [], forget: () => undefined });
      const { request } = submit();
      const job = await jobOf(request);
      const name = job.metadata!.name!;
      informer.setPod(job, { waiting: { reason: 'CreateContainerConfigError', message: `secret "${name}" not found` } });
      release();
      await until(() => recordOf(request)?.status === 'running', 'the record to say running');
      informer.setPod(job, { waiting: { reason: 'CreateContainerConfigError', message: `secret "${name}" not found` } });
      kube.logs.set(`${name}-pod`, 'SUCCESS\n');
      informer.setPod(job, { exitCode: 0 });
      await until(() => reconciler.inFlight() === 0, 'the request to be finished');
      expect(recordOf(request)).toMatchObject({ status: 'succeeded' });
    });

    it('still fails fast when another Secret is missing', async () => {
      await start(sts, { perJob: true, ensure: async () => undefined, secretsOf: async () => [], forget: () => undefined });
      const { request } = submit();
      const job = await jobOf(request);
      await until(() => recordOf(request)?.status === 'running', 'the record to say running');
      informer.setPod(job, { waiting: { reason: 'CreateContainerConfigError', message: 'secret "other" not found' } });
      await until(() => reconciler.inFlight() === 0, 'the request to be finished');
      expect(recordOf(request)).toMatchObject({ status: 'failed', reason: 'CreateContainerConfigError' });
    });

    it('ends the job failed, its Job deleted, when the store refuses the credentials for good', async () => {
      await start(sts, {
        perJob: true,
        ensure: async () => {
          throw new Error('Unable to obtain credentials: AccessDenied Access Denied.');
        },
        secretsOf: async () => [],
        forget: () => undefined,
      });
      const { request, delivery } = submit();
      const job = await jobOf(request);
      await until(() => reconciler.inFlight() === 0, 'the request to be finished');
      expect(recordOf(request)).toMatchObject({ status: 'failed', reason: 'CredentialsNotIssued' });
      expect(logs.objects.get(`in.bucket/test-job-${request.id}.log`)).toBe('No S3 credentials could be issued for the Job: Unable to obtain credentials: AccessDenied Access Denied.\n');
      expect(kube.jobs.has(job.metadata!.name!)).toBe(false);
      expect(delivery.acked).toBe(true);
    });
  });

  it('takes a request sent straight to RabbitMQ to its end: record, Job, log, events in order, reply, acknowledgement, release', async () => {
    // A grace period for orphans that the test would outlast: the worker finishing its own request never waits one.
    await start({ ORPHAN_GRACE_SECONDS: '60' });
    const { request, delivery } = submit();
    const job = await runToEnd(request);
    await until(() => reconciler.inFlight() === 0, 'the request to be finished');
    expect(delivery.acked).toBe(true);
    expect(recordOf(request)).toMatchObject({ status: 'succeeded', exitCode: 0, logObject: `test-job-${request.id}.log`, announced: ['queued', 'running', 'succeeded'] });
    expect(logs.objects.get(`in.bucket/test-job-${request.id}.log`)).toBe('Started\nSUCCESS\n');
    expect(publisher.events(request.id)).toEqual(['job.queued', 'job.running', 'job.succeeded']);
    expect(replyTo(delivery)).toEqual([expect.objectContaining({ status: 'succeeded', result: `Job ${job.metadata!.name} complete.` })]);
    expect(kube.jobs.get(job.metadata!.name!)?.metadata?.annotations?.['cloud-worker.io/collected-by']).toBe('worker-1');
    expect(reconciler.inFlight()).toBe(0);
  });

  /** Holds the broker's confirms back until released: both events must be sent before the first is confirmed. */
  function holdConfirms(): { sent: () => number; release: (faults: unknown[]) => void } {
    const publish = publisher.publish.bind(publisher);
    const waiting: Array<() => void> = [];
    publisher.publish = (...args) => new Promise((confirm) => void waiting.push(() => confirm(publish(...args))));
    return {
      sent: () => waiting.length,
      release: (faults) => {
        publisher.publish = publish;
        publisher.faults.next(...faults);
        for (const confirm of waiting) confirm();
      },
    };
  }

  it("publishes a straight request's queued and running events together, and publishes again only the one that failed", async () => {
    await start();
    const confirms = holdConfirms();
    const { request, delivery } = submit();
    await until(() => confirms.sent() === 2, 'both events sent before a confirm');
    confirms.release([undefined, new Error('nack')]);
    await runToEnd(request);
    await until(() => delivery.acked, 'the acknowledgement');
    expect(publisher.events(request.id)).toEqual(['job.queued', 'job.running', 'job.succeeded']);
    expect(recordOf(request)?.announced).toEqual(['queued', 'running', 'succeeded']);
  });

  it('publishes every event after a failed one again, so that the last of each arrives in order', async () => {
    await start();
    const confirms = holdConfirms();
    const { request, delivery } = submit();
    await until(() => confirms.sent() === 2, 'both events sent before a confirm');
    // The broker refuses queued and confirms running: running went out first, and goes out again after queued.
    confirms.release([new Error('nack')]);
    await runToEnd(request);
    await until(() => delivery.acked, 'the acknowledgement');
    expect(publisher.events(request.id)).toEqual(['job.running', 'job.queued', 'job.running', 'job.succeeded']);
    expect(recordOf(request)?.announced).toEqual(['queued', 'running', 'succeeded']);
  });

  it('creates the record of a message sent straight to RabbitMQ without reading first, and reads the one the api made', async () => {
    await start();
    const straight = submit();
    await runToEnd(straight.request);
    await until(() => straight.delivery.acked, 'the acknowledgement');
    expect(records.reads).toBe(0);

    const id = randomUUID();
    records.records.set(id, newJobRecord({ ...straight.request, id }, 'mstc', new Date().toISOString(), ['queued']));
    const { request, delivery } = submit({ id }, true);
    await runToEnd(request);
    await until(() => delivery.acked, 'the acknowledgement');
    expect(records.reads).toBe(1);
    expect(publisher.events(request.id)).toEqual(['job.running', 'job.succeeded']);
  });

  it('stores the real log when a log read fails once (the pod is still there: it goes only after the log is stored)', async () => {
    await start();
    kube.faults.log.next(new KubeApiError(500, 'InternalError', 'injected'));
    const { request, delivery } = submit();
    await runToEnd(request, 0, 'the real log\n');
    await until(() => delivery.acked, 'the acknowledgement');
    expect(logs.objects.get(`in.bucket/test-job-${request.id}.log`)).toBe('the real log\n');
    expect(kube.count('log ')).toBe(2);
  });

  it('stores the real log when a log read hangs and times out once', async () => {
    await start();
    kube.faults.log.next(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }));
    const { request, delivery } = submit();
    await runToEnd(request, 0, 'the real log\n');
    await until(() => delivery.acked, 'the acknowledgement');
    expect(logs.objects.get(`in.bucket/test-job-${request.id}.log`)).toBe('the real log\n');
  });

  it('announces the end when the publish fails after the record was updated', async () => {
    await start();
    const { request, delivery } = submit();
    const job = await jobOf(request);
    await until(() => recordOf(request)?.status === 'running', 'running');
    publisher.down = true;
    kube.logs.set(`${job.metadata!.name}-pod`, 'log\n');
    informer.setPod(job, { exitCode: 0 });
    await until(() => recordOf(request)?.status === 'succeeded', 'the record to be settled');
    expect(publisher.events(request.id)).not.toContain('job.succeeded');
    expect(kube.jobs.get(job.metadata!.name!)?.metadata?.annotations?.['cloud-worker.io/collected-by']).toBeUndefined();
    publisher.down = false;
    await until(() => delivery.acked, 'the acknowledgement');
    expect(publisher.events(request.id)).toEqual(['job.queued', 'job.running', 'job.succeeded']);
    expect(recordOf(request)?.announced).toEqual(['queued', 'running', 'succeeded']);
  });

  it('does not read the logs again, nor replace the stored log, when a retry comes after the pods are gone', async () => {
    await start();
    const { request, delivery } = submit();
    const job = await runToEnd(request, 0, 'the real log\n');
    // The record update fails once after the log is stored; meanwhile the pods go.
    records.faults.update.next(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    await until(() => logs.objects.size === 1, 'the log');
    informer.removePods(job.metadata!.name!);
    await until(() => delivery.acked, 'the acknowledgement');
    expect(logs.objects.get(`in.bucket/test-job-${request.id}.log`)).toBe('the real log\n');
    expect(logs.puts).toBe(1);
    expect(recordOf(request)).toMatchObject({ status: 'succeeded', logObject: `test-job-${request.id}.log` });
  });

  it('publishes each event once and at once when the answers to its writes are lost after the store wrote them', async () => {
    // A long grace: an event left to it would come a minute late (and from every worker that waited).
    await start({ ORPHAN_GRACE_SECONDS: '60' });
    const lost = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    records.faults.answer.next(lost(), lost());
    const { request, delivery } = submit();
    await runToEnd(request);
    records.faults.answer.next(lost());
    await until(() => delivery.acked, 'the acknowledgement');
    const events = publisher.messages.filter((message) => message.routingKey?.startsWith('job.')).map((message) => message.routingKey);
    expect(events).toEqual(['job.queued', 'job.running', 'job.succeeded']);
    expect(recordOf(request)).toMatchObject({ status: 'succeeded', announced: ['queued', 'running', 'succeeded'] });
    expect(logLines.filter((line) => line.msg.includes('answer was lost')).map((line) => line.status)).toEqual(['running', 'succeeded']);
  });

  it('takes a move whose answer came for an answered one: nothing is logged as lost', async () => {
    await start();
    const { request, delivery } = submit();
    await runToEnd(request);
    await until(() => delivery.acked, 'the acknowledgement');
    expect(logLines.map((line) => line.msg)).toEqual(['audit: submit', 'Job created', 'Job ended']);
  });

  it('records a request sent straight to RabbitMQ as running with one write, then ends it with one more, and announces queued, running and the end', async () => {
    await start();
    const creates = jest.spyOn(records, 'create');
    const updates = jest.spyOn(records, 'update');
    const { request, delivery } = submit();
    await jobOf(request);
    expect(recordOf(request)).toMatchObject({ status: 'running', queuedAt: expect.any(String), startedAt: recordOf(request)!.queuedAt });
    await runToEnd(request);
    await until(() => delivery.acked, 'the acknowledgement');
    expect(creates).toHaveBeenCalledTimes(1);
    expect(updates.mock.calls.map(([, change]) => change.status)).toEqual(['succeeded']);
    expect(publisher.messages.filter((message) => message.routingKey?.startsWith('job.')).map((message) => message.routingKey)).toEqual(['job.queued', 'job.running', 'job.succeeded']);
  });

  it('creates the Job of a running record whose worker stopped before creating it, when the message comes again', async () => {
    await start();
    const request: IdentifiedRequest = { id: randomUUID(), image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'in.bucket', outputBucket: 'in.bucket', timeOut: 15 };
    records.records.set(request.id, { ...newRunningJobRecord(request, 'mstc', new Date().toISOString()), announced: ['queued', 'running'] });
    const delivery = redeliver(request);
    await runToEnd(request);
    await until(() => delivery.acked, 'the acknowledgement');
    expect(recordOf(request)).toMatchObject({ status: 'succeeded' });
  });

  it('leaves a running record whose Job it could not make before its message went back to the queue, and the next holder makes it', async () => {
    await start();
    let apiDown = true;
    const createJob = kube.createJob.bind(kube);
    jest.spyOn(kube, 'createJob').mockImplementation(async (namespace, job) => {
      if (apiDown) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return createJob(namespace, job);
    });
    const { request, delivery } = submit();
    await until(() => recordOf(request)?.status === 'running', 'the running record');
    // The broker took the message back (its channel closed) before the Job was made.
    delivery.live = false;
    await until(() => reconciler.inFlight() === 0, 'the worker to let go of it');
    expect(recordOf(request)).toMatchObject({ status: 'running' });
    apiDown = false;
    const again = redeliver(request);
    await runToEnd(request);
    await until(() => again.acked, 'the acknowledgement');
    expect(recordOf(request)).toMatchObject({ status: 'succeeded' });
    expect(publisher.events(request.id)).toEqual(['job.queued', 'job.running', 'job.succeeded']);
  });

  it('makes no Job for a message sent straight to RabbitMQ whose id belongs to different work, and leaves that record as it was', async () => {
    await start();
    const first: IdentifiedRequest = { id: randomUUID(), image: 'mstc/python-test', jobName: 'first-job', inputBucket: 'in.bucket', outputBucket: 'in.bucket', timeOut: 15 };
    const existing = { ...newJobRecord(first, 'mstc', new Date().toISOString()), announced: ['queued' as const] };
    records.records.set(first.id, existing);
    const { delivery } = submit({ id: first.id, jobName: 'second-job' });
    await until(() => delivery.acked, 'the refusal');
    expect(publisher.to('mstc.queue.work.dead-letter')[0].options.headers?.['x-cloud-worker-rejection']).toContain('already used');
    expect(kube.requests.filter((line) => line.startsWith('create'))).toEqual([]);
    expect(recordOf(first)).toEqual(existing);
  });

  it('keeps a log stored by an earlier worker when the pods are gone by the time another one finishes the Job', async () => {
    await start();
    const { request } = submit();
    const job = await jobOf(request);
    await until(() => recordOf(request)?.status === 'running', 'running');
    logs.objects.set(`in.bucket/test-job-${request.id}.log`, 'stored earlier\n');
    informer.setPod(job, { exitCode: 0 });
    kube.logs.clear();
    await until(() => recordOf(request)?.status === 'succeeded', 'settled');
    expect(logs.objects.get(`in.bucket/test-job-${request.id}.log`)).toBe('stored earlier\n');
  });

  describe('the outputs', () => {
    it('records what the Job wrote under its prefix, not the inputs before it, and stores the manifest beside the log: one list and one put', async () => {
      await start();
      storage.write('in.bucket', 'p7-input.csv', 'a,b\n', new Date(Date.now() - 60_000).toISOString());
      const { request } = submit({ prefix: 'p7' });
      const job = await jobOf(request);
      await until(() => recordOf(request)?.status === 'running', 'the record to say running');
      storage.write('in.bucket', 'p7-result.json', '{"ok":true}\n');
      storage.write('in.bucket', 'p7/plots/a.png', 'png');
      storage.write('in.bucket', 'other-result.json', 'not under the prefix');
      kube.logs.set(`${job.metadata!.name}-pod`, 'SUCCESS\n');
      informer.setPod(job, { exitCode: 0 });
      await until(() => reconciler.inFlight() === 0, 'the request to be finished');
      const manifestObject = `p7-test-job-${request.id}.manifest.json`;
      const outputs = [
        { name: 'p7-result.json', size: 12, etag: 'etag-of-p7-result.json', lastModified: expect.any(String) },
        { name: 'p7/plots/a.png', size: 3, etag: 'etag-of-p7/plots/a.png', lastModified: expect.any(String) },
      ];
      expect(recordOf(request)).toMatchObject({ status: 'succeeded', logObject: `p7-test-job-${request.id}.log`, outputs, manifestObject });
      expect(JSON.parse(storage.objects.get(`in.bucket/${manifestObject}`)!.body)).toEqual({ id: request.id, jobName: `test-job-${request.id}`, outputBucket: 'in.bucket', prefix: 'p7', outputs });
      expect(storage.requests).toEqual(['LIST in.bucket', `PUT in.bucket/${manifestObject}`]);
      // The record's end event carries them.
      expect(publisher.messages.find((message) => message.routingKey === 'job.succeeded')?.body).toMatchObject({ outputs, manifestObject });
    });

    it('writes no manifest for a Job that wrote nothing: one list', async () => {
      await start();
      const { request } = submit({ prefix: 'p7' });
      await runToEnd(request);
      await until(() => reconciler.inFlight() === 0, 'the request to be finished');
      expect(recordOf(request)).toMatchObject({ status: 'succeeded', outputs: [], manifestObject: null });
      expect(storage.requests).toEqual(['LIST in.bucket']);
    });

    it('lists nothing for a request without a prefix, whose objects cannot be told from other jobs\'', async () => {
      await start();
      const { request } = submit();
      await runToEnd(request);
      await until(() => reconciler.inFlight() === 0, 'the request to be finished');
      expect(recordOf(request)).toMatchObject({ status: 'succeeded', outputs: [], manifestObject: null });
      expect(storage.requests).toEqual([]);
    });

    it('lists nothing for a Job that never ran', async () => {
      await start();
      const invalid = () => new KubeApiError(422, 'Invalid', 'Job.batch "x" is invalid');
      kube.faults.create.next(invalid(), invalid(), invalid());
      const { request, delivery } = submit();
      await until(() => delivery.acked, 'the acknowledgement');
      expect(recordOf(request)).toMatchObject({ status: 'failed', reason: 'JobNotCreated', outputs: [], manifestObject: null });
      expect(storage.requests).toEqual([]);
    });

    it('ends the job as it ended, without outputs, when the store refuses the listing for good', async () => {
      await start();
      storage.deniedBuckets.add('in.bucket');
      const { request, delivery } = submit({ prefix: 'p7' });
      await runToEnd(request);
      await until(() => delivery.acked, 'the acknowledgement');
      expect(recordOf(request)).toMatchObject({ status: 'succeeded', logObject: `p7-test-job-${request.id}.log`, outputs: [], manifestObject: null });
      expect(storage.requests).toEqual(['LIST in.bucket', 'LIST in.bucket', 'LIST in.bucket']);
    });
  });

  it('ends a request whose log the store refuses as failed with the reason, answers it and frees its slot', async () => {
    await start();
    logs.deniedBuckets.add('denied.bucket');
    const { request, delivery } = submit({ outputBucket: 'denied.bucket' });
    await runToEnd(request);
    await until(() => delivery.acked, 'the acknowledgement');
    expect(recordOf(request)).toMatchObject({ status: 'failed', reason: 'LogNotStored', exitCode: 0, logObject: null });
    expect(replyTo(delivery)).toEqual([expect.objectContaining({ status: 'failed', reason: 'LogNotStored' })]);
    expect(publisher.events(request.id)).toEqual(['job.queued', 'job.running', 'job.failed']);
    expect(logs.puts).toBe(3);
    expect(reconciler.inFlight()).toBe(0);
  });

  it('stops a Job cancelled in its record at the next resync when the cancel command was lost', async () => {
    await start();
    const { request, delivery } = submit({ image: 'mstc/sleep' });
    const job = await jobOf(request);
    informer.setPod(job, 'running');
    kube.logs.set(`${job.metadata!.name}-pod`, 'Started, sleeping until killed\n');
    await until(() => recordOf(request)?.status === 'running', 'running');
    // The api cancels: the record says so, and its command never arrives.
    await records.update(request.id, { status: 'cancelled', at: new Date().toISOString(), reason: 'Cancelled', exitCode: null, announced: ['cancelled'] });
    reconciler.resync((await kube.listJobs()).items);
    await until(() => delivery.acked, 'the acknowledgement');
    expect(kube.jobs.has(job.metadata!.name!)).toBe(false);
    expect(logs.objects.get(`in.bucket/test-job-${request.id}.log`)).toBe('Started, sleeping until killed\n');
    expect(recordOf(request)).toMatchObject({ status: 'cancelled', logObject: `test-job-${request.id}.log` });
    expect(replyTo(delivery)).toEqual([expect.objectContaining({ status: 'cancelled' })]);
  });

  it('times a Job out at its timeOut: log first, then the Job is deleted', async () => {
    await start();
    const { request, delivery } = submit({ image: 'mstc/sleep', timeOut: 1 });
    const job = await jobOf(request);
    informer.setPod(job, 'running');
    kube.logs.set(`${job.metadata!.name}-pod`, 'Started, sleeping until killed\n');
    await until(() => reconciler.inFlight() === 0, 'the request to be finished', 5000);
    expect(delivery.acked).toBe(true);
    expect(recordOf(request)).toMatchObject({ status: 'timed_out', reason: 'DeadlineExceeded' });
    expect(kube.jobs.has(job.metadata!.name!)).toBe(false);
    expect(logs.objects.get(`in.bucket/test-job-${request.id}.log`)).toContain('sleeping until killed');
  });

  it('times a Job out when its timer fires before the clock reaches the deadline', async () => {
    // Node may run a timer a millisecond early by Date.now(); here every long timer runs 50 ms early.
    const onTime = global.setTimeout;
    jest.spyOn(global, 'setTimeout').mockImplementation(((run: () => void, ms = 0) => onTime(run, ms > 50 ? ms - 50 : ms)) as typeof setTimeout);
    await start();
    const { request, delivery } = submit({ image: 'mstc/sleep', timeOut: 1 });
    const job = await jobOf(request);
    informer.setPod(job, 'running');
    await until(() => reconciler.inFlight() === 0, 'the request to be finished', 5000);
    expect(delivery.acked).toBe(true);
    expect(recordOf(request)).toMatchObject({ status: 'timed_out', reason: 'DeadlineExceeded' });
  });

  it('runs a redelivered request once: the second copy adopts the Job and both are answered', async () => {
    await start();
    const { request, delivery } = submit();
    const job = await jobOf(request);
    const second = new FakeDelivery(request, request.id);
    reconciler.receive(request, second, 'mstc');
    await runToEnd(request);
    await until(() => delivery.acked && second.acked, 'both acknowledgements');
    expect(kube.count('create ')).toBe(1);
    expect(replyTo(delivery)).toHaveLength(2);
    expect(job.metadata!.name).toBe(`test-job-${request.id}`);
  });

  it('holds a request while S3 is unreachable and takes it to its end once it is back', async () => {
    await start();
    const down = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' });
    records.faults.get.next(down(), down(), down(), down(), down(), down());
    const { request, delivery } = submit();
    await runToEnd(request);
    await until(() => delivery.acked, 'the acknowledgement');
    expect(recordOf(request)?.status).toBe('succeeded');
  });

  it('dead-letters the message of a request whose record is refused for good, after MAX_FAILED_ATTEMPTS, and never loops', async () => {
    await start();
    const refused = () => new SyntaxError('Unexpected token < in JSON');
    records.faults.get.next(refused(), refused(), refused(), refused());
    const { request, delivery } = submit({}, true);
    await until(() => delivery.acked, 'the acknowledgement');
    const [dead] = publisher.to('mstc.queue.work.dead-letter');
    expect(dead.options.headers?.['x-cloud-worker-rejection']).toMatch(/read record: Unexpected token/);
    expect(replyTo(delivery)).toEqual([expect.objectContaining({ status: 'rejected', id: request.id })]);
    expect(kube.count('create ')).toBe(0);
    expect(reconciler.inFlight()).toBe(0);
  });

  it('ends a request whose Job the Kubernetes API refuses as failed, with the refusal in its log', async () => {
    await start();
    const invalid = () => new KubeApiError(422, 'Invalid', 'Job.batch "x" is invalid: spec.template.spec.containers[0].image: Required value');
    kube.faults.create.next(invalid(), invalid(), invalid());
    const { request, delivery } = submit();
    await until(() => delivery.acked, 'the acknowledgement');
    expect(recordOf(request)).toMatchObject({ status: 'failed', reason: 'JobNotCreated' });
    expect(logs.objects.get(`in.bucket/test-job-${request.id}.log`)).toContain('is invalid');
  });

  it('refuses a message whose id belongs to different work, and runs the first', async () => {
    await start();
    const { request, delivery } = submit();
    await jobOf(request);
    const other = new FakeDelivery({}, request.id);
    reconciler.receive({ ...request, jobName: 'other' }, other, 'mstc');
    await until(() => other.acked, 'the refusal');
    expect(publisher.to('mstc.queue.work.dead-letter')[0].options.headers?.['x-cloud-worker-rejection']).toContain('already used');
    await runToEnd(request);
    await until(() => delivery.acked, 'the acknowledgement');
  });

  it('finishes, at the resync, a Job that ended while no worker was there, and answers nobody twice', async () => {
    await start();
    const { request, delivery } = submit();
    const job = await runToEnd(request);
    await until(() => delivery.acked, 'the acknowledgement');
    // A second Job, left by a worker that died: its record says running, its pod has ended.
    const orphan = leaveOrphan(job, { status: 'running', logObject: null, announced: ['queued', 'running'], finishedAt: null });
    expect(reconciler.resync((await kube.listJobs()).items)).toEqual({ adopted: 1 });
    await until(() => records.records.get(orphan.id)?.status === 'succeeded' && kube.jobs.get(orphan.jobName)?.metadata?.annotations?.['cloud-worker.io/collected-by'], 'the orphan to be finished');
    expect(publisher.events(orphan.id)).toEqual(['job.succeeded']);
    expect(replyTo(delivery)).toHaveLength(1);
  });

  it('announces, at start, an end its writer declared with the record and stopped before publishing', async () => {
    await start();
    const { request, delivery } = submit();
    const job = await runToEnd(request);
    await until(() => reconciler.inFlight() === 0, 'the first request to be finished');
    // Its writer wrote the end, declared announced, and stopped before the publish and the release.
    const orphan = leaveOrphan(job, { announced: ['queued', 'running', 'succeeded'] });
    expect(reconciler.resync((await kube.listJobs()).items, true)).toEqual({ adopted: 1 });
    await until(() => kube.jobs.get(orphan.jobName)?.metadata?.annotations?.['cloud-worker.io/collected-by'], 'the orphan to be released');
    expect(publisher.events(orphan.id)).toEqual(['job.succeeded']);
    expect(records.records.get(orphan.id)?.logObject).toBe(recordOf(request)!.logObject!.replace(request.id, orphan.id));
    expect(replyTo(delivery)).toHaveLength(1);
  });

  /** A Job like `job`, of a record like `job`'s with `changes`, whose pod has ended: left behind by a worker that stopped. */
  function leaveOrphan(job: V1Job, changes: Partial<JobRecord>): JobRecord {
    const template = records.records.get(job.metadata!.labels!['cloud-worker.io/request-id'])!;
    const id = randomUUID();
    const orphan: JobRecord = { ...template, id, jobName: `test-job-${id}`, ...(template.logObject && { logObject: template.logObject.replace(template.id, id) }), ...changes };
    records.records.set(id, orphan);
    const orphanJob = structuredClone(job);
    orphanJob.metadata = { ...orphanJob.metadata, name: orphan.jobName, labels: { ...orphanJob.metadata!.labels, 'cloud-worker.io/request-id': id }, annotations: {} };
    orphanJob.status = { conditions: [{ type: 'Complete', status: 'True' }] };
    kube.jobs.set(orphan.jobName, orphanJob);
    kube.logs.set(`${orphan.jobName}-pod`, 'orphan log\n');
    informer.setPod(orphanJob, { exitCode: 0 });
    return orphan;
  }

  it('leaves a running Job of another worker to it at a periodic resync, and takes it at start', async () => {
    await start();
    const request: IdentifiedRequest = { id: randomUUID(), image: 'mstc/sleep', jobName: 'test-job', inputBucket: 'in.bucket', outputBucket: 'in.bucket', timeOut: 15 };
    const running = await kube.createJob('default', buildJob(request, settings));
    expect(reconciler.resync([running])).toEqual({ adopted: 0 });
    expect(reconciler.resync([running], true)).toEqual({ adopted: 1 });
  });
});
