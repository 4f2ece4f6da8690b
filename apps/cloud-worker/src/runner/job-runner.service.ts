import { WorkerConfig } from '@app/config';
import {
  isTerminal,
  newJobRecord,
  plannedLogObject,
  sameWork,
  uniqueJobName,
  type IdentifiedRequest,
  type JobRecord,
} from '@app/contracts';
import {
  buildJob,
  COLLECTED_ANNOTATION,
  KubeApi,
  KubeApiError,
  jobCondition,
  PodInformer,
  timeOutSeconds,
  verdictFromPods,
  type JobSettings,
  type PodChange,
} from '@app/kube';
import { ResultEvents } from '@app/messaging';
import { ROOT_LOGGER, type Logger } from '@app/observability';
import { JobLogs, JobRecordStore } from '@app/storage';
import type { V1Job } from '@kubernetes/client-node';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Delivery } from '../intake/delivery.js';
import { Replies } from '../intake/replies.js';
import { JOB_NAMESPACE, JOB_SETTINGS } from '../kubernetes/kubernetes.module.js';
import { WorkerMetrics } from '../worker.metrics.js';
import { cancelled, outcomeOfJob, outcomeOfVerdict, timedOut, type Outcome } from './outcome.js';

/** A Job this worker follows: its request, the messages waiting for its end, and its timers. */
interface TrackedJob {
  name: string;
  record: JobRecord;
  /** Messages of this request held unacknowledged; none for a Job found at start (an orphan). */
  deliveries: Delivery[];
  deadlineTimer?: NodeJS.Timeout;
  graceTimer?: NodeJS.Timeout;
  /** The Job as last read from the API server, for its conditions. */
  job?: V1Job;
  sawPods: boolean;
  finishing?: Promise<void>;
  log: Logger;
}

/** Pause before retrying a step that failed on the S3 store, the Kubernetes API or RabbitMQ. */
const RETRY_DELAY_MS = 2000;

/**
 * The life of each Job, from its request to its stored log and reply. Messages are held unacknowledged while
 * their Job runs, so RabbitMQ hands them to another worker if this one dies; that worker adopts the Job by its
 * deterministic name. Everything after the Job has ended is idempotent: the log object is overwritten with the
 * same content, the record moves by compare-and-swap (only one writer's change is applied and announced), and
 * marking the Job collected can be repeated.
 */
@Injectable()
export class JobRunner implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly jobs = new Map<string, TrackedJob>();
  private readonly namesById = new Map<string, string>();
  private stopping = false;

  constructor(
    @Inject(KubeApi) private readonly kube: KubeApi,
    @Inject(PodInformer) private readonly informer: PodInformer,
    @Inject(JobRecordStore) private readonly records: JobRecordStore,
    @Inject(JobLogs) private readonly logs: JobLogs,
    @Inject(ResultEvents) private readonly events: ResultEvents,
    @Inject(Replies) private readonly replies: Replies,
    @Inject(JOB_SETTINGS) private readonly settings: JobSettings,
    @Inject(JOB_NAMESPACE) private readonly namespace: string,
    @Inject(WorkerConfig) private readonly config: WorkerConfig,
    @Inject(WorkerMetrics) private readonly metrics: WorkerMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.informer.onChange((change) => this.onPodChange(change));
  }

  inFlight(): number {
    return this.jobs.size;
  }

  /**
   * A valid work request from the queue. Resolves once the Job runs (or the request is settled); the delivery
   * is acknowledged when the Job has ended. Throws when a dependency fails, and the caller requeues the message.
   */
  async accept(request: IdentifiedRequest, delivery: Delivery): Promise<'started' | 'adopted' | 'settled' | 'attached' | 'conflict'> {
    const name = uniqueJobName(request.jobName, request.id);
    const tracked = this.jobs.get(name);
    if (tracked) {
      // A second copy of a request this worker follows (a redelivery, or the api publishing a replay).
      tracked.deliveries.push(delivery);
      this.evaluate(tracked);
      return 'attached';
    }
    const log = this.logger.child({ requestId: request.id, jobName: name });
    let record = await this.ensureRecord(request, log);
    if (!sameWork(record.request, request)) return 'conflict';
    if (isTerminal(record.status)) {
      await this.settleEnded(record, delivery, log);
      return 'settled';
    }
    const { job, adopted } = await this.createOrAdopt(request, log);
    if (job.metadata?.annotations?.[COLLECTED_ANNOTATION]) {
      // Ended and collected by another worker; its record says how.
      record = (await this.records.get(request.id)) ?? record;
      await this.settleEnded(record, delivery, log);
      return 'settled';
    }
    const started = await this.records.update(request.id, { status: 'running', at: new Date().toISOString() });
    if (started.outcome === 'applied') {
      await this.events.publish(started.record);
      this.metrics.queueWait.observe(secondsBetween(started.record.queuedAt, started.record.startedAt!));
      log.info({ adopted }, adopted ? 'adopted existing Job' : 'Job created');
    }
    // A Job created just now is timed from this moment: its creationTimestamp has whole seconds only.
    this.follow(this.track(started.record, job, [delivery], log), adopted ? undefined : Date.now());
    return adopted ? 'adopted' : 'started';
  }

  /** A Job of this worker's kind found at start whose request may have nobody left to see it through. */
  adoptOrphan(job: V1Job, record: JobRecord): void {
    const name = job.metadata!.name!;
    if (this.jobs.has(name)) return;
    const log = this.logger.child({ requestId: record.id, jobName: name });
    log.info({ status: record.status }, 'following a Job found at start');
    this.follow(this.track(record, job, [], log));
  }

  /** A cancel command from the api: the record already says cancelled; stop the Job, keep its log so far. */
  async cancel(id: string): Promise<boolean> {
    const name = this.namesById.get(id);
    const entry = name ? this.jobs.get(name) : undefined;
    if (!entry) return false;
    entry.record = (await this.records.get(id)) ?? entry.record;
    await this.finish(entry, cancelled(this.podNames(entry)));
    return true;
  }

  /** In-progress endings are completed before the connections close; running Jobs are left for the next worker. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const entry of this.jobs.values()) clearTimers(entry);
    await Promise.allSettled([...this.jobs.values()].flatMap((entry) => (entry.finishing ? [entry.finishing] : [])));
  }

  onApplicationShutdown(): void {
    this.jobs.clear();
  }

  private async ensureRecord(request: IdentifiedRequest, log: Logger): Promise<JobRecord> {
    const existing = await this.records.get(request.id);
    if (existing) return existing;
    // Submitted straight to RabbitMQ: the record starts here.
    const { created, record } = await this.records.create(newJobRecord(request, new Date().toISOString()));
    if (created) {
      await this.events.publish(record);
      log.info({ image: request.image }, 'work request received');
    }
    return record;
  }

  private async createOrAdopt(request: IdentifiedRequest, log: Logger): Promise<{ job: V1Job; adopted: boolean }> {
    const manifest = buildJob(request, this.settings);
    try {
      return { job: await this.kube.createJob(this.namespace, manifest), adopted: false };
    } catch (error) {
      if (!(error instanceof KubeApiError && error.code === 409)) throw error;
      const existing = await this.kube.getJob(this.namespace, manifest.metadata!.name!);
      if (!existing) throw new Error(`Job ${manifest.metadata!.name} exists and is gone again; retrying`);
      log.info('Job already exists; adopting it');
      return { job: existing, adopted: true };
    }
  }

  private track(record: JobRecord, job: V1Job, deliveries: Delivery[], log: Logger): TrackedJob {
    const entry: TrackedJob = { name: record.jobName, record, deliveries, job, sawPods: false, log };
    this.jobs.set(entry.name, entry);
    this.namesById.set(record.id, entry.name);
    this.metrics.jobsInFlight.set(this.jobs.size);
    return entry;
  }

  /** Starts following a tracked Job: settles it when its record has ended, else watches for its end and deadline. */
  private follow(entry: TrackedJob, createdAtMs?: number): void {
    if (isTerminal(entry.record.status)) {
      void this.finish(entry, outcomeFromRecord(entry.record, entry.job, this.podNames(entry)));
      return;
    }
    this.evaluate(entry);
    const deadline = this.deadlineOf(entry, createdAtMs);
    if (deadline !== undefined && !entry.finishing) {
      entry.deadlineTimer = setTimeout(() => this.deadlinePassed(entry), Math.max(0, deadline - Date.now()));
    }
  }

  /** When the request's `timeOut` passes, counted from the Job's creation. */
  private deadlineOf(entry: TrackedJob, createdAtMs?: number): number | undefined {
    const creationTimestamp = entry.job?.metadata?.creationTimestamp;
    const created = createdAtMs ?? (creationTimestamp ? new Date(creationTimestamp).getTime() : undefined);
    return created === undefined ? undefined : created + timeOutSeconds(entry.record.request, this.settings) * 1000;
  }

  /** Ends the Job as timed out, unless its pods show it ended by itself in time (noticed late, e.g. after a restart). */
  private deadlinePassed(entry: TrackedJob): void {
    this.evaluate(entry);
    if (!entry.finishing) this.ended(entry, timedOut(this.podNames(entry)));
  }

  private onPodChange(change: PodChange): void {
    const entry = this.jobs.get(change.jobName);
    if (entry) this.evaluate(entry);
  }

  /** Decides from the pods (and, where they cannot tell, the Job) whether the Job has ended. */
  private evaluate(entry: TrackedJob): void {
    if (entry.finishing || this.stopping) return;
    const pods = this.informer.podsOfJob(entry.name);
    if (pods.length > 0) entry.sawPods = true;
    const verdict = verdictFromPods(pods, entry.record.request.jobName, this.settings.backoffLimit);
    const podNames = pods.map((pod) => pod.metadata!.name!);
    const outcome = outcomeOfVerdict(verdict, podNames) ?? (entry.job && !entry.sawPods ? outcomeOfJob(entry.job, pods, entry.record.request.jobName) : undefined);
    if (outcome) return this.ended(entry, outcome);
    if (verdict.kind === 'ask-job' || (entry.sawPods && pods.length === 0)) void this.askJob(entry);
  }

  private async askJob(entry: TrackedJob): Promise<void> {
    try {
      entry.job = await this.kube.getJob(this.namespace, entry.name);
      if (entry.finishing) return;
      const outcome = outcomeOfJob(entry.job, this.informer.podsOfJob(entry.name), entry.record.request.jobName);
      if (outcome) this.ended(entry, outcome);
    } catch (error) {
      entry.log.warn({ err: error }, 'could not read the Job; will look again on its next change');
    }
  }

  /**
   * The worker holding the request finishes at once. A Job nobody here holds a message for waits out the grace
   * period first, in case the worker that does is about to finish it, and is then finished unless collected.
   */
  private ended(entry: TrackedJob, outcome: Outcome): void {
    if (entry.deliveries.length > 0) {
      void this.finish(entry, outcome);
      return;
    }
    if (entry.graceTimer) return;
    entry.graceTimer = setTimeout(() => void this.finishOrphan(entry, outcome), this.config.ORPHAN_GRACE_SECONDS * 1000);
  }

  private async finishOrphan(entry: TrackedJob, outcome: Outcome): Promise<void> {
    entry.graceTimer = undefined;
    if (entry.deliveries.length > 0) return this.evaluate(entry);
    const job = await this.kube.getJob(this.namespace, entry.name).catch(() => entry.job);
    if (!job || job.metadata?.annotations?.[COLLECTED_ANNOTATION]) {
      entry.log.info('Job was collected elsewhere');
      this.untrack(entry);
      return;
    }
    await this.finish(entry, outcome);
  }

  /** Runs once per Job: store the log, settle the record, release or remove the Job, answer, acknowledge. */
  private finish(entry: TrackedJob, outcome: Outcome): Promise<void> {
    entry.finishing ??= this.runFinish(entry, outcome).catch((error: unknown) => {
      entry.log.error({ err: error, status: outcome.status }, 'could not finish the Job; retrying');
      setTimeout(() => {
        entry.finishing = undefined;
        if (!this.stopping) void this.finish(entry, outcome);
      }, RETRY_DELAY_MS).unref();
    });
    return entry.finishing;
  }

  private async runFinish(entry: TrackedJob, outcome: Outcome): Promise<void> {
    clearTimers(entry);
    const { record, log } = entry;
    const logObject = plannedLogObject(record);
    await this.logs.store(record.outputBucket, logObject, await this.captureLog(entry, outcome));
    const at = new Date().toISOString();
    const result = await this.records.update(record.id, { status: outcome.status, at, reason: outcome.reason, exitCode: outcome.exitCode, logObject });
    entry.record = result.record;
    if (result.outcome === 'applied') {
      await this.events.publish(result.record);
      this.metrics.jobsFinished.inc({ status: result.record.status });
      if (result.record.startedAt) this.metrics.jobDuration.observe({ status: result.record.status }, secondsBetween(result.record.startedAt, at));
      log.info({ status: result.record.status, reason: result.record.reason, exitCode: result.record.exitCode, logObject }, 'Job ended');
    }
    // Only now, with the log and record safe, may the Job go: deleted, or left to its TTL.
    if (outcome.deleteJob || result.record.status === 'cancelled') await this.kube.deleteJob(this.namespace, entry.name);
    else await this.markCollected(entry);
    for (const delivery of entry.deliveries) {
      await this.replies.ended(delivery, result.record);
      delivery.ack();
    }
    this.untrack(entry);
  }

  /** The log the Job wrote (every attempt, oldest first), or why there is none. */
  private async captureLog(entry: TrackedJob, outcome: Outcome): Promise<string> {
    const parts: string[] = [];
    for (const podName of outcome.podNames) {
      const text = await this.kube.readPodLog(this.namespace, podName, entry.record.request.jobName, this.config.LOG_LIMIT_BYTES).catch((error: unknown) => {
        entry.log.warn({ err: error, pod: podName }, 'could not read the pod log');
        return undefined;
      });
      if (text === undefined) continue;
      parts.push(outcome.podNames.length > 1 ? `==> pod ${podName} <==\n${text}` : text);
    }
    if (outcome.note) parts.push(`${outcome.note}\n`);
    if (parts.length === 0) parts.push(`No log could be read for Job ${entry.name}: ${outcome.reason ?? outcome.status}.\n`);
    return parts.join('\n');
  }

  private async markCollected(entry: TrackedJob): Promise<void> {
    try {
      await this.kube.patchJob(this.namespace, entry.name, [
        { op: 'add', path: `/metadata/annotations/${COLLECTED_ANNOTATION.replace('/', '~1')}`, value: this.config.WORKER_ID },
        { op: 'add', path: '/spec/ttlSecondsAfterFinished', value: this.config.JOB_TTL_SECONDS },
      ]);
    } catch (error) {
      // A Job removed meanwhile needs no TTL.
      if (!(error instanceof KubeApiError && error.code === 404)) throw error;
    }
  }

  /** A request whose record has ended: make sure its Job is released, answer, acknowledge. */
  private async settleEnded(record: JobRecord, delivery: Delivery, log: Logger): Promise<void> {
    const job = await this.kube.getJob(this.namespace, record.jobName);
    if (job && !job.metadata?.annotations?.[COLLECTED_ANNOTATION]) {
      const entry = this.track(record, job, [delivery], log);
      await this.finish(entry, outcomeFromRecord(record, job, this.podNames(entry)));
      return;
    }
    await this.replies.ended(delivery, record);
    delivery.ack();
    log.info({ status: record.status }, 'request had already ended; answered from its record');
  }

  private podNames(entry: TrackedJob): string[] {
    return this.informer.podsOfJob(entry.name).map((pod) => pod.metadata!.name!);
  }

  private untrack(entry: TrackedJob): void {
    clearTimers(entry);
    if (this.jobs.get(entry.name) === entry) this.jobs.delete(entry.name);
    if (this.namesById.get(entry.record.id) === entry.name) this.namesById.delete(entry.record.id);
    this.metrics.jobsInFlight.set(this.jobs.size);
  }
}

/** Finishing a Job whose record has already ended: a Job that has not finished by itself is removed. */
function outcomeFromRecord(record: JobRecord, job: V1Job | undefined, podNames: string[]): Outcome {
  const status = record.status as Outcome['status'];
  const stillActive = job !== undefined && jobCondition(job).kind === 'active';
  return { status, reason: record.reason, exitCode: record.exitCode, podNames, deleteJob: stillActive || status === 'cancelled' || status === 'timed_out' };
}

function clearTimers(entry: TrackedJob): void {
  clearTimeout(entry.deadlineTimer);
  clearTimeout(entry.graceTimer);
  entry.graceTimer = undefined;
}

function secondsBetween(from: string, to: string): number {
  return Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
}
