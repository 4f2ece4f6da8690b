import { WorkerConfig } from '@app/config';
import { announcementsDue, isTerminal, newRunningJobRecord, plannedLogObject, sameWork, type IdentifiedRequest, type JobRecord, type JobStatus } from '@app/contracts';
import { buildJob, COLLECTED_ANNOTATION, JOB_NAMESPACE, jobCondition, jobCredentialsSecretName, KubeApi, KubeApiError, PodInformer, REQUEST_ID_LABEL, timeOutSeconds, type JobSettings } from '@app/kube';
import { ResultEvents } from '@app/messaging';
import { audit, ROOT_LOGGER, type Logger } from '@app/observability';
import { JobRecordStore } from '@app/storage';
import type { V1Job } from '@kubernetes/client-node';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DeadLetters } from '../answers/dead-letters.js';
import { JobCredentials } from '../credentials/job-credentials.service.js';
import type { Delivery } from '../answers/delivery.js';
import { Replies } from '../answers/replies.js';
import { JOB_SETTINGS } from '../kubernetes/kubernetes.module.js';
import { LogCapture } from '../logs/log-capture.service.js';
import { OutputManifests, type StoredManifest } from '../outputs/output-manifests.service.js';
import { WorkerMetrics } from '../worker.metrics.js';
import { classifyFailure, describeFailure } from './failures.js';
import { KeyedWorkQueue } from './keyed-work-queue.js';
import { nextStep, type JobPresence, type Situation, type Step, type StepKind } from './next-step.js';
import { credentialsNotIssued, jobNotCreated, LOG_NOT_STORED_REASON, observeOutcome, outcomeFromRecord, type Outcome } from './outcome.js';

/** A message of the work queue held for its request until the request is answered. */
interface HeldDelivery {
  request: IdentifiedRequest;
  delivery: Delivery;
  /** Who sent it (its `user_id`, or AMQP_DEFAULT_OWNER): the owner of a record made for it. */
  owner: string;
}

/** What this worker knows of one request it follows, keyed by the request id. */
interface TrackedRequest {
  id: string;
  record: JobRecord | undefined;
  recordStale: boolean;
  deliveries: HeldDelivery[];
  /** The Job as last read or created; null when found not to exist. */
  job: V1Job | null | undefined;
  presence: JobPresence;
  jobStale: boolean;
  sawPods: boolean;
  /** This worker has seen the Job exist (created, adopted or read). */
  sawJob: boolean;
  /** When this worker created the Job: a creationTimestamp has whole seconds only. */
  createdAtMs?: number;
  /** Published and not yet recorded in the record's `announced`. */
  published: Set<JobStatus>;
  /** Published by this worker, recorded or not. */
  sent: Set<JobStatus>;
  applied: Set<JobStatus>;
  /**
   * The moves to a status this worker has sent to the store (`moveKey`): a write whose answer was lost (a cut
   * connection) may have landed, and the record read afterwards shows it as this worker's by its time.
   */
  attempted: Set<string>;
  /** The Job's Secret of its own S3 credentials exists (JOB_S3_CREDENTIALS=sts). */
  credentialsReady: boolean;
  logStored: boolean;
  logRefused: boolean;
  /** The outputs listed and their manifest stored, once the log is. */
  manifest?: StoredManifest;
  manifestRefused: boolean;
  /** This worker answered the request's messages: finishing it is its own to do, not an orphan's. */
  replied: boolean;
  outcome?: Outcome;
  orphanSince?: number;
  deadLetterReason?: string;
  /** The step that failed with a refusal, and how many times in a row. */
  refused?: { step: StepKind; count: number };
  step?: StepKind;
  deadlineTimer?: NodeJS.Timeout;
  graceTimer?: NodeJS.Timeout;
  announceTimer?: NodeJS.Timeout;
  log: Logger;
}

/** Requests worked at once; each run is a few requests to RabbitMQ, S3 and the Kubernetes API. */
const RECONCILES_AT_ONCE = 64;

/**
 * The life of every request, from its message to its stored log, its announcements and its answer, as a
 * level-based reconcile (controller-runtime's `Reconcile`, client-go's work queue): each trigger (a message, a
 * pod change, a timer, a cancel, the resync) only queues the request's id; `reconcile(id)` reads where the
 * request stands and takes the next missing step (`nextStep`) until it must wait. Every step is idempotent, so a
 * step repeated after a failure, by a restarted worker or by a second worker does no harm; a failing request
 * backs off on its own while the others go on.
 */
@Injectable()
export class JobReconciler implements OnModuleInit, BeforeApplicationShutdown {
  private readonly tracked = new Map<string, TrackedRequest>();
  private readonly queue: KeyedWorkQueue;

  constructor(
    @Inject(KubeApi) private readonly kube: KubeApi,
    @Inject(PodInformer) private readonly informer: PodInformer,
    @Inject(JobRecordStore) private readonly records: JobRecordStore,
    @Inject(LogCapture) private readonly logs: LogCapture,
    @Inject(OutputManifests) private readonly manifests: OutputManifests,
    @Inject(JobCredentials) private readonly credentials: JobCredentials,
    @Inject(ResultEvents) private readonly events: ResultEvents,
    @Inject(Replies) private readonly replies: Replies,
    @Inject(DeadLetters) private readonly deadLetters: DeadLetters,
    @Inject(JOB_SETTINGS) private readonly settings: JobSettings,
    @Inject(JOB_NAMESPACE) private readonly namespace: string,
    @Inject(WorkerConfig) private readonly config: WorkerConfig,
    @Inject(WorkerMetrics) private readonly metrics: WorkerMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.queue = new KeyedWorkQueue((id) => this.reconcile(id), {
      parallelism: RECONCILES_AT_ONCE,
      initialDelayMs: config.RETRY_BASE_DELAY_MS,
      maxDelayMs: config.RETRY_MAX_DELAY_MS,
      onFailure: (id, error, failure) => this.failed(id, error, failure),
    });
    metrics.countRetrying(() => this.queue.retrying());
  }

  onModuleInit(): void {
    this.informer.onChange(({ pod }) => {
      const id = pod.metadata?.labels?.[REQUEST_ID_LABEL];
      const entry = id ? this.tracked.get(id) : undefined;
      if (!entry) return;
      entry.jobStale = true;
      this.queue.add(entry.id);
    });
  }

  /** Requests this worker follows. */
  inFlight(): number {
    return this.tracked.size;
  }

  /** Requests waiting out a backoff after a failure. */
  retrying(): number {
    return this.queue.retrying();
  }

  /** A valid work request from the queue, sent by `owner`; its message is held until the request is answered. */
  receive(request: IdentifiedRequest, delivery: Delivery, owner: string): void {
    const known = this.tracked.has(request.id);
    const entry = this.track(request.id);
    // A first message without a record made for it (sent straight to RabbitMQ) goes straight to creating one; the
    // create returns the record instead should it exist after all, so only a read is saved.
    if (!known && !delivery.recorded && !delivery.redelivered) entry.recordStale = false;
    entry.deliveries.push({ request, delivery, owner });
    entry.orphanSince = undefined;
    this.queue.add(request.id);
  }

  /** The record may have changed elsewhere (a cancel from the api): read it again and act on it. */
  refresh(id: string): boolean {
    const entry = this.tracked.get(id);
    if (!entry) return false;
    entry.recordStale = true;
    this.queue.add(id);
    return true;
  }

  /**
   * The resync: every request followed is read again, and the uncollected Jobs listed are followed: all of them
   * at start (whoever held them may be gone), later only those that have ended (a running Job's message is
   * held by a worker, or back in the queue, so its end is that worker's to take; one whose message was lost is
   * taken up once it ends).
   */
  resync(jobs: V1Job[], atStart = false): { adopted: number } {
    let adopted = 0;
    const listed = new Map(jobs.flatMap((job) => (job.metadata?.labels?.[REQUEST_ID_LABEL] ? [[job.metadata.labels[REQUEST_ID_LABEL], job] as const] : [])));
    for (const [id, job] of listed) {
      if (this.tracked.has(id) || job.metadata?.annotations?.[COLLECTED_ANNOTATION]) continue;
      if (!atStart && jobCondition(job).kind === 'active') continue;
      const entry = this.track(id);
      this.learnJob(entry, job);
      adopted++;
    }
    for (const entry of this.tracked.values()) {
      entry.recordStale = true;
      const job = listed.get(entry.id);
      if (job) this.learnJob(entry, job);
      // A Job known to be there that the list does not show has gone (or the list came before its creation).
      else if (entry.presence === 'present') entry.presence = 'unknown';
      this.queue.add(entry.id);
    }
    return { adopted };
  }

  /** Runs under way finish; held messages go back to the queue when the connections close, for the next worker. */
  async beforeApplicationShutdown(): Promise<void> {
    for (const entry of this.tracked.values()) clearTimers(entry);
    await this.queue.shutdown();
  }

  /** Takes the next missing steps for one request until it must wait for a trigger. */
  private async reconcile(id: string): Promise<void> {
    for (;;) {
      const entry = this.tracked.get(id);
      if (!entry) return;
      entry.deliveries = entry.deliveries.filter(({ delivery }) => delivery.isLive());
      const step = nextStep(this.situationOf(entry));
      entry.step = step.kind;
      if (step.kind === 'wait') return this.arm(entry);
      if (step.kind === 'forget') return this.untrack(entry);
      await this.take(entry, step);
      if (entry.refused?.step === step.kind) entry.refused = undefined;
    }
  }

  private situationOf(entry: TrackedRequest): Situation {
    const { record } = entry;
    const pods = this.informer.podsOfJob(record?.jobName ?? '');
    if (pods.length > 0) entry.sawPods = true;
    const observed =
      record && !isTerminal(record.status) && (entry.presence === 'present' || entry.presence === 'absent')
        ? observeOutcome({
            pods,
            job: entry.job,
            jobStale: entry.jobStale,
            sawPods: entry.sawPods,
            deadlinePassed: Date.now() >= (this.deadlineOf(entry) ?? Infinity),
            containerName: record.request.jobName,
            backoffLimit: this.settings.backoffLimit,
            awaitedSecret: this.credentials.perJob ? jobCredentialsSecretName(record.jobName) : undefined,
          })
        : {};
    const ending = Boolean(observed.outcome || entry.outcome || (record && isTerminal(record.status)));
    const orphanWaiting = entry.deliveries.length === 0 && !entry.replied && ending && !this.graceOver(entry);
    return {
      record,
      recordStale: entry.recordStale,
      hasDeliveries: entry.deliveries.length > 0,
      conflicting: record !== undefined && entry.deliveries.some(({ request }) => !sameWork(record.request, request)),
      job: entry.presence,
      sawJob: entry.sawJob,
      outcome: entry.outcome ?? (record && isTerminal(record.status) ? outcomeFromRecord(record, entry.job ?? undefined, pods.map((pod) => pod.metadata!.name!)) : undefined),
      observed,
      published: entry.published,
      applied: entry.applied,
      // A redelivered message says its previous holder went away: what it left unannounced falls to this worker now.
      othersHadTheirTime:
        record !== undefined && (entry.deliveries.some(({ delivery }) => delivery.redelivered) || Date.now() - Date.parse(record.updatedAt) >= this.graceMs()),
      endUnconfirmed: endUnconfirmed(entry),
      credentialsMissing: this.credentials.perJob && !entry.credentialsReady && entry.presence === 'present' && !ending,
      logStored: entry.logStored,
      logRefused: entry.logRefused,
      manifestStored: entry.manifest !== undefined,
      manifestRefused: entry.manifestRefused,
      orphanWaiting,
      deadLetter: entry.deadLetterReason !== undefined,
    };
  }

  private async take(entry: TrackedRequest, step: Exclude<Step, { kind: 'wait' | 'forget' }>): Promise<void> {
    switch (step.kind) {
      case 'read-record':
        this.learnRecord(entry, await this.records.get(entry.id));
        entry.recordStale = false;
        return;
      case 'create-record':
        return this.createRecord(entry);
      case 'reject-conflicts':
        return this.rejectConflicts(entry);
      case 'announce':
        return this.announce(entry, step.statuses);
      case 'read-job':
        this.learnJob(entry, (await this.kube.getJob(this.namespace, entry.record!.jobName)) ?? null);
        return;
      case 'create-job':
        return this.createJob(entry);
      case 'create-credentials':
        await this.credentials.ensure(entry.record!, entry.job!);
        entry.credentialsReady = true;
        entry.log.info('gave the Job S3 credentials of its own');
        return;
      case 'mark-running':
        return this.markRunning(entry);
      case 'store-log':
        entry.outcome ??= step.outcome;
        if ((await this.logs.store(entry.record!, step.outcome)) === 'kept') entry.log.info('kept the log stored earlier; the pods are gone');
        entry.logStored = true;
        return;
      case 'store-manifest':
        entry.manifest = await this.manifests.store(entry.record!);
        entry.log.info({ outputs: entry.manifest.outputs.length, manifestObject: entry.manifest.manifestObject }, 'listed the outputs');
        return;
      case 'settle':
        return this.settle(entry, step.outcome);
      case 'record-announced':
        this.learnRecord(entry, (await this.records.update(entry.id, { status: entry.record!.status, at: new Date().toISOString(), announced: [...entry.published] })).record);
        entry.published.clear();
        return;
      case 'reply':
        for (const { delivery } of entry.deliveries) {
          await this.replies.ended(delivery, entry.record!);
          delivery.ack();
        }
        entry.deliveries = [];
        entry.replied = true;
        return;
      case 'release-job':
        return this.releaseJob(entry);
      case 'dead-letter':
        for (const { delivery, request } of entry.deliveries) await this.deadLetters.reject(delivery, entry.deadLetterReason!, [], request.id);
        this.metrics.messages.inc({ outcome: 'dead_lettered' }, entry.deliveries.length);
        entry.deliveries = [];
        entry.log.error({ reason: entry.deadLetterReason }, 'gave up on the request; its message is dead-lettered');
        this.untrack(entry);
        return;
    }
  }

  /**
   * Publishes the events due at once (a straight request's queued and running): they leave in order on the one
   * channel, and the broker confirms them together, so a Job waits for one confirm instead of one per event.
   * Should one fail, the events up to it count as published and the step fails; the retry sends the failed one
   * and every one after it again, so that the last of each status to arrive comes in order (a later event the
   * broker had confirmed arrives twice; its message id `<id>:<status>` tells).
   */
  private async announce(entry: TrackedRequest, statuses: JobStatus[]): Promise<void> {
    const results = await Promise.allSettled(statuses.map((status) => this.events.publish(entry.record!, status)));
    const failed = results.findIndex((result) => result.status === 'rejected');
    for (const status of failed < 0 ? statuses : statuses.slice(0, failed)) {
      entry.published.add(status);
      entry.sent.add(status);
    }
    if (failed >= 0) throw (results[failed] as PromiseRejectedResult).reason;
  }

  private async createRecord(entry: TrackedRequest): Promise<void> {
    const { request, owner } = entry.deliveries[0];
    // Submitted straight to RabbitMQ: the record starts here, as running since its Job is created next, and its
    // queued and running events are this worker's to publish.
    const at = new Date().toISOString();
    const { created, record } = await this.sendMove(entry, 'running', at, () => this.records.create(newRunningJobRecord(request, owner, at)));
    if (!this.learnRecord(entry, record) && !created) return;
    entry.applied.add('queued').add('running');
    // Logged once, by its audit line (owner, id and image).
    audit(this.logger, { action: 'submit', owner, source: 'amqp', id: request.id, image: request.image });
  }

  private async rejectConflicts(entry: TrackedRequest): Promise<void> {
    const { record } = entry;
    for (const held of entry.deliveries.filter(({ request }) => !sameWork(record!.request, request))) {
      entry.log.warn('rejected a request whose id belongs to different work');
      await this.deadLetters.reject(held.delivery, `Request id ${entry.id} was already used for a different request`, [], entry.id);
      this.metrics.messages.inc({ outcome: 'conflict' });
      entry.deliveries = entry.deliveries.filter((kept) => kept !== held);
    }
  }

  private async createJob(entry: TrackedRequest): Promise<void> {
    const request = { ...entry.record!.request, id: entry.id };
    const manifest = buildJob(request, this.settings);
    try {
      const job = await this.kube.createJob(this.namespace, manifest);
      entry.createdAtMs = Date.now();
      this.learnJob(entry, job);
      entry.log.info('Job created');
    } catch (error) {
      if (!(error instanceof KubeApiError && error.code === 409)) throw error;
      const existing = await this.kube.getJob(this.namespace, manifest.metadata!.name!);
      if (!existing) throw new KubeApiError(409, 'Conflict', `Job ${manifest.metadata!.name} exists and is gone again`);
      this.learnJob(entry, existing);
      entry.log.info('Job already exists; adopting it');
    }
  }

  private async markRunning(entry: TrackedRequest): Promise<void> {
    const at = new Date().toISOString();
    const result = await this.sendMove(entry, 'running', at, () => this.records.update(entry.id, { status: 'running', at, announced: [...entry.published] }));
    entry.published.clear();
    if (!this.learnRecord(entry, result.record) && result.outcome !== 'applied') return;
    entry.applied.add('running');
    this.metrics.queueWait.observe(secondsBetween(result.record.queuedAt, result.record.startedAt!));
  }

  private async settle(entry: TrackedRequest, outcome: Outcome): Promise<void> {
    const logObject = entry.logStored ? plannedLogObject(entry.record!) : null;
    const refused = entry.logRefused && !isTerminal(entry.record!.status);
    const at = new Date().toISOString();
    const status = outcome.status === 'succeeded' && refused ? 'failed' : outcome.status;
    const result = await this.sendMove(entry, status, at, () => this.records.update(entry.id, {
      status,
      at,
      reason: refused ? LOG_NOT_STORED_REASON : outcome.reason,
      exitCode: outcome.exitCode,
      logObject,
      // Nothing listed (no container ran, or the store refused) is recorded as no outputs.
      outputs: entry.manifest?.outputs ?? [],
      manifestObject: entry.manifest?.manifestObject ?? null,
      announced: [...entry.published],
      // Its event goes out next; until the Job is released, the Job says it may not have (`endUnconfirmed`).
      declaresAnnounced: entry.presence === 'present',
    }));
    entry.published.clear();
    if (!this.learnRecord(entry, result.record) && result.outcome !== 'applied') return;
    const { reason, exitCode, startedAt, finishedAt } = result.record;
    entry.applied.add(status);
    this.metrics.jobsFinished.inc({ status });
    if (startedAt) this.metrics.jobDuration.observe({ status }, secondsBetween(startedAt, finishedAt!));
    entry.log.info({ status, reason, exitCode, logObject }, 'Job ended');
  }

  private async releaseJob(entry: TrackedRequest): Promise<void> {
    const outcome = entry.outcome ?? outcomeFromRecord(entry.record!, entry.job ?? undefined, []);
    // Only now, with the log, the record and every announcement safe, may the Job go: deleted, or left to its TTL.
    if (outcome.deleteJob || entry.record!.status === 'cancelled') await this.kube.deleteJob(this.namespace, entry.record!.jobName);
    else await this.markCollected(entry.record!.jobName);
    entry.presence = 'collected';
  }

  private async markCollected(uniqueJobName: string): Promise<void> {
    try {
      await this.kube.patchJob(this.namespace, uniqueJobName, [
        { op: 'add', path: `/metadata/annotations/${COLLECTED_ANNOTATION.replace('/', '~1')}`, value: this.config.WORKER_ID },
        { op: 'add', path: '/spec/ttlSecondsAfterFinished', value: this.config.JOB_TTL_SECONDS },
      ]);
    } catch (error) {
      // A Job removed meanwhile needs no TTL.
      if (!(error instanceof KubeApiError && error.code === 404)) throw error;
    }
  }

  /**
   * A failed run: an outage is retried with backoff for as long as it lasts; a refusal is tried
   * MAX_FAILED_ATTEMPTS times, then the request ends with it (`failed`, or its message dead-lettered).
   */
  private failed(id: string, error: unknown, { failures, retryInMs }: { failures: number; retryInMs: number }): 'retry' | 'now' {
    const entry = this.tracked.get(id);
    const step = entry?.step ?? 'read-record';
    const kind = classifyFailure(error);
    this.metrics.reconcileFailures.inc({ step, kind });
    const log = entry?.log ?? this.logger.child({ requestId: id });
    if (!entry || kind === 'transient') {
      log.warn({ err: error, step, failures, retryInMs }, 'a step failed; retrying with backoff');
      return 'retry';
    }
    entry.refused = { step, count: entry.refused?.step === step ? entry.refused.count + 1 : 1 };
    if (entry.refused.count < this.config.MAX_FAILED_ATTEMPTS) {
      log.warn({ err: error, step, attempts: entry.refused.count, retryInMs }, 'a step was refused; retrying with backoff');
      return 'retry';
    }
    const reason = describeFailure(error);
    log.error({ err: error, step, attempts: entry.refused.count }, 'a step was refused for good; ending the request');
    entry.refused = undefined;
    if (step === 'store-log') entry.logRefused = true;
    else if (step === 'store-manifest') entry.manifestRefused = true;
    else if (step === 'create-job') {
      entry.outcome = jobNotCreated(reason);
      entry.presence = 'absent';
    } else if (step === 'create-credentials') entry.outcome = credentialsNotIssued(reason);
    else entry.deadLetterReason = `Could not ${step.replace('-', ' ')}: ${reason}`;
    return 'now';
  }

  private track(id: string): TrackedRequest {
    let entry = this.tracked.get(id);
    if (!entry) {
      entry = {
        id,
        record: undefined,
        recordStale: true,
        deliveries: [],
        job: undefined,
        presence: 'unknown',
        jobStale: false,
        sawJob: false,
        sawPods: false,
        published: new Set(),
        sent: new Set(),
        applied: new Set(),
        attempted: new Set(),
        credentialsReady: false,
        logStored: false,
        logRefused: false,
        manifestRefused: false,
        replied: false,
        log: this.logger.child({ requestId: id }),
      };
      this.tracked.set(id, entry);
      this.metrics.jobsInFlight.set(this.tracked.size);
    }
    return entry;
  }

  /**
   * Sends a move of the record to the store. Until its answer comes, the move is `attempted`: should the answer be
   * lost, a later read tells it as this worker's own (`learnRecord`); once answered, the answer says what happened.
   */
  private async sendMove<T>(entry: TrackedRequest, status: JobStatus, at: string, write: () => Promise<T>): Promise<T> {
    const key = moveKey(status, at);
    entry.attempted.add(key);
    const answer = await write();
    entry.attempted.delete(key);
    return answer;
  }

  /**
   * Keeps the record as read or written. When it shows a move this worker sent and did not hear back about (its
   * answer lost with the connection), that move is this worker's own: its event is this worker's to publish now,
   * rather than, after the grace period, by every worker that waited (and so twice: test/faults/s3-outage).
   * Returns true when it found such a move.
   */
  private learnRecord(entry: TrackedRequest, record: JobRecord | undefined): boolean {
    entry.record = record;
    if (!record || entry.applied.has(record.status) || !entry.attempted.has(moveKey(record.status, reachedAt(record)))) return false;
    entry.log.info({ status: record.status }, 'the store holds a move this worker sent whose answer was lost: it is its own');
    entry.applied.add(record.status);
    return true;
  }

  private learnJob(entry: TrackedRequest, job: V1Job | null): void {
    entry.job = job;
    entry.jobStale = false;
    entry.presence = !job ? 'absent' : job.metadata?.annotations?.[COLLECTED_ANNOTATION] ? 'collected' : 'present';
    if (job) entry.sawJob = true;
    // A Job released or gone means its record has most likely ended elsewhere: read it before acting on a copy.
    if (entry.presence !== 'present' && entry.record && !isTerminal(entry.record.status)) entry.recordStale = true;
    if (job?.metadata?.name) entry.log = this.logger.child({ requestId: entry.id, jobName: job.metadata.name });
  }

  /**
   * While waiting: a timer for the request's time-out, one for the end of an orphan's grace period, and one for
   * when another writer's unrecorded announcement falls to this worker (the record is read again then). The
   * time-out and announcement timers forget themselves when they fire: Node may fire one a millisecond before
   * `Date.now()` reaches its time (timers run on libuv's cached loop clock), and the reconcile it wakes then finds
   * nothing due and must arm it again. The grace timer is armed once: re-armed, a second worker stepped in during
   * a 20 s S3 outage and announced ends twice (test/faults/s3-outage); a grace that fires early waits for the resync.
   */
  private arm(entry: TrackedRequest): void {
    const { record } = entry;
    if (record && !entry.announceTimer && (announcementsDue(record, entry.published).length > 0 || endUnconfirmed(entry))) {
      entry.announceTimer = setTimeout(() => {
        entry.announceTimer = undefined;
        entry.recordStale = true;
        this.queue.add(entry.id);
      }, Date.parse(record.updatedAt) + this.graceMs() - Date.now());
    }
    const deadline = this.deadlineOf(entry);
    if (deadline !== undefined && !entry.deadlineTimer && entry.record?.status === 'running') {
      entry.deadlineTimer = setTimeout(() => {
        entry.deadlineTimer = undefined;
        this.queue.add(entry.id);
      }, Math.max(0, deadline - Date.now()));
    }
    if (entry.orphanSince !== undefined && !entry.graceTimer && !this.graceOver(entry)) {
      entry.graceTimer = setTimeout(() => {
        // The worker holding the request has had its time; look at the Job and the record afresh, in case it has
        // finished them.
        entry.presence = 'unknown';
        entry.recordStale = true;
        this.queue.add(entry.id);
      }, entry.orphanSince + this.graceMs() - Date.now());
    }
  }

  private graceMs(): number {
    return this.config.ORPHAN_GRACE_SECONDS * 1000;
  }

  /**
   * A request nobody here holds a message for waits this long, from when its Job ended (or, where the Job does
   * not say, from when its end was seen here), before it is finished here: the worker that holds it finishes it
   * well within that time when it is alive, so ORPHAN_GRACE_SECONDS must be longer than a busy worker takes.
   */
  private graceOver(entry: TrackedRequest): boolean {
    entry.orphanSince ??= endedAt(entry.job) ?? Date.now();
    return Date.now() - entry.orphanSince >= this.graceMs();
  }

  /** When the request's `timeOut` passes, counted from the Job's creation. */
  private deadlineOf(entry: TrackedRequest): number | undefined {
    const creationTimestamp = entry.job?.metadata?.creationTimestamp;
    const created = entry.createdAtMs ?? (creationTimestamp ? new Date(creationTimestamp).getTime() : undefined);
    return created === undefined || !entry.record ? undefined : created + timeOutSeconds(entry.record.request, this.settings) * 1000;
  }

  private untrack(entry: TrackedRequest): void {
    clearTimers(entry);
    if (entry.deliveries.length > 0) return;
    if (entry.record) this.credentials.forget(entry.record);
    this.tracked.delete(entry.id);
    this.metrics.jobsInFlight.set(this.tracked.size);
  }
}

function clearTimers(entry: TrackedRequest): void {
  clearTimeout(entry.deadlineTimer);
  clearTimeout(entry.graceTimer);
  clearTimeout(entry.announceTimer);
  entry.deadlineTimer = undefined;
  entry.graceTimer = undefined;
  entry.announceTimer = undefined;
}

/**
 * A worker declares the end it writes announced with that write and publishes it next, then releases the Job
 * (`settle`): a terminal record that says so while its Job is still there, and that this worker did not publish,
 * may have lost its writer in between. The api's cancel is recorded as announced only after it is published.
 */
function endUnconfirmed({ record, presence, sent }: TrackedRequest): boolean {
  if (!record || !isTerminal(record.status) || record.status === 'cancelled' || presence !== 'present') return false;
  return (record.announced?.includes(record.status) ?? false) && !sent.has(record.status);
}

/** A move of a record to a status at a time: a worker's writes never share one (`at` is taken per write). */
function moveKey(status: JobStatus, at: string): string {
  return `${status}@${at}`;
}

/** When the record moved to its current status: the `at` of that move. */
function reachedAt(record: JobRecord): string {
  return (isTerminal(record.status) ? record.finishedAt : record.status === 'running' ? record.startedAt : record.queuedAt) ?? record.updatedAt;
}

/** When the Job controller saw the Job end, from its Complete or Failed condition. */
function endedAt(job: V1Job | null | undefined): number | undefined {
  const ended = job?.status?.conditions?.find((condition) => (condition.type === 'Complete' || condition.type === 'Failed') && condition.status === 'True');
  const at = ended?.lastTransitionTime ?? job?.status?.completionTime;
  return at ? new Date(at).getTime() : undefined;
}

function secondsBetween(from: string, to: string): number {
  return Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
}
