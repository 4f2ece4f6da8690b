import { ApiConfig } from '@app/config';
import { isTerminal, type JobRecord } from '@app/contracts';
import {
  backoffLimitOf,
  JOB_NAMESPACE,
  jobCredentialsSecretName,
  KubeApi,
  KubeApiError,
  MANAGED_SELECTOR,
  openPodLogPart,
  PodInformer,
  podHeadersWanted,
  podLogsBody,
  SecretMasker,
  secretValuesToMask,
  type PodLogPart,
} from '@app/kube';
import { backoff, retryPolicy, ROOT_LOGGER, type Logger } from '@app/observability';
import { JobLogs, JobRecordStore } from '@app/storage';
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import { Inject, Injectable, NotFoundException, ServiceUnavailableException, type OnApplicationShutdown } from '@nestjs/common';
import { ExponentialBackoff, handleWhenResult, retry, type IBackoff } from 'cockatiel';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Caller } from '../auth/caller.js';
import { JobsService } from '../jobs/jobs.service.js';
import { LineTail } from './line-tail.js';
import { ResultFeed } from './result-feed.service.js';

export interface LogOptions {
  follow: boolean;
  /** Only the last lines of what exists when asked. */
  tail?: number;
}

/** Said in the log itself, on a line of its own, where the api cannot give what the stored log holds. */
export const NOTICE_PREFIX = '[cloud-worker]';

/** Pauses while a container has not started (its log answers 400): short, as a follower waits on them. */
const WAIT_FOR_CONTAINER = { initialDelayMs: 250, maxDelayMs: 5000 };
/** Pauses between reads of a record that is not settled yet (no end seen, or no log object yet). */
const RECORD_READS = { initialDelayMs: 500, maxDelayMs: 10_000 };
/** Reads of an ended job's record while its log is being stored (the api records `cancelled` before the worker stores). */
const LOG_OBJECT_READS = 40;

/**
 * A job's log through the api: the stored log once the job has ended, and before that its pods' logs read from
 * the Kubernetes API (read-only Role), put together exactly as the worker stores them (job-log.ts) and masked
 * the same way, so that a followed log that continues into the stored one at the byte where it stopped is the
 * stored log, byte for byte. That is checked: the stored log must begin with what was sent (a SHA-256 of it),
 * else a notice says so instead of repeating or skipping anything.
 */
@Injectable()
export class LiveLogs implements OnApplicationShutdown {
  private informer: PodInformer | undefined;
  private informerStarted: Promise<void> | undefined;

  constructor(
    @Inject(JobsService) private readonly jobs: JobsService,
    @Inject(JobRecordStore) private readonly records: JobRecordStore,
    @Inject(JobLogs) private readonly logs: JobLogs,
    @Inject(KubeApi) private readonly kube: KubeApi,
    @Inject(JOB_NAMESPACE) private readonly namespace: string,
    @Inject(ApiConfig) private readonly config: ApiConfig,
    @Inject(ResultFeed) private readonly feed: ResultFeed,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * The log's body, as pieces to send, or a 404 before anything is sent. `signal` ends a followed log early
   * (the client went away, the api shuts down).
   */
  async open(id: string, caller: Caller, options: LogOptions, signal: AbortSignal): Promise<AsyncGenerator<Buffer>> {
    const record = await this.jobs.get(id, caller);
    if (isTerminal(record.status) && (!options.follow || record.logObject)) {
      const { stream } = await this.jobs.openLog(id, caller);
      return options.tail === undefined ? chunksOf(stream) : tailOf(chunksOf(stream), options.tail);
    }
    if (!options.follow && record.status === 'queued') throw new NotFoundException(`Job ${id} has no stored log yet (status queued)`);
    // The Job's own Secret (sts) may not exist yet; this only makes sure that it can be read, before answering.
    await this.secretsOf(record, true);
    if (!options.follow) return this.logSoFar(record, options.tail);
    return this.follow(record, options.tail, signal);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.informer?.stop();
  }

  /** Every attempt's log so far, as the worker would store it now. */
  private async logSoFar(record: JobRecord, tail: number | undefined): Promise<AsyncGenerator<Buffer>> {
    const { items } = await this.kube.listPods(this.namespace, `job-name=${record.jobName}`);
    const pods = items.sort((a, b) => creationTime(a) - creationTime(b));
    const parts: PodLogPart[] = [];
    for (const pod of pods) parts.push(await openPodLogPart(this.kube, this.namespace, pod.metadata!.name!, record.request.jobName, this.config.LOG_LIMIT_BYTES));
    const headers = podHeadersWanted(pods.length > 0 ? backoffLimitOf(pods[0]) : 0, pods.length);
    // A container that has run had its credentials (its Secret exists by then): they must be known to mask them.
    const secrets = await this.secretsOf(record, parts.every((part) => !part.log)).catch((error: unknown) => {
      for (const { log } of parts) (log as Readable | undefined)?.destroy();
      throw error;
    });
    const body = masked(podLogsBody(parts, headers), new SecretMasker(secrets));
    return tail === undefined ? body : tailOf(body, tail);
  }

  /**
   * Follows the pods' logs until the job ends, then continues from the stored log at the byte where the live
   * part stopped. With `tail`, the pods' logs so far are read first and only their last lines sent.
   */
  private async *follow(record: JobRecord, tail: number | undefined, signal: AbortSignal): AsyncGenerator<Buffer> {
    // Made once the first pod has started: with sts the Job's own Secret exists only from shortly before.
    let masker: SecretMasker | undefined;
    const sent = createHash('sha256');
    let offset = 0;
    const view = tail === undefined ? undefined : new LineTail(tail);
    let showing = view === undefined;
    /** What the client is to see of a piece of the (masked) log: all of it, or nothing yet while the tail is gathered. */
    const shown = (piece: Buffer): Buffer | undefined => {
      if (showing) return piece;
      view!.push(piece);
      return undefined;
    };
    const release = (): Buffer | undefined => {
      if (showing) return undefined;
      showing = true;
      return view!.text();
    };

    const live = new AbortController();
    const stopLive = () => live.abort();
    signal.addEventListener('abort', stopLive, { once: true });
    const ended = this.whenEnded(record, AbortSignal.any([signal, live.signal])).finally(stopLive);
    ended.catch(() => undefined);
    try {
      if (!isTerminal(record.status)) {
        const snapshot = view ? await this.podsAtStart(record) : undefined;
        if (!snapshot?.length) yield* present(release());
        let backoffLimit = 0;
        const parts = this.livePods(record, live.signal, snapshot, (pod) => (backoffLimit = backoffLimitOf(pod)));
        try {
          for await (const raw of podLogsBody(parts, () => podHeadersWanted(backoffLimit, 0))) {
            if (raw === SNAPSHOT_READ) {
              yield* present(release());
              continue;
            }
            masker ??= new SecretMasker(await this.secretsOf(record, false));
            const piece = masker.push(raw);
            sent.update(piece);
            offset += piece.length;
            yield* present(shown(piece));
          }
        } catch (error) {
          if (!live.signal.aborted) throw error;
        }
      }
      if (signal.aborted) return;
      const settled = await this.settled(await ended, signal);
      if (signal.aborted) return;
      for await (const piece of this.storedFrom(settled, offset, sent.digest())) yield* present(shown(piece));
      yield* present(release());
    } finally {
      signal.removeEventListener('abort', stopLive);
      stopLive();
    }
  }

  /** The pods there are now, with how far their logs go (for `tail`): the log's start that exists when asked. */
  private async podsAtStart(record: JobRecord): Promise<Array<{ pod: V1Pod; snapshot: Buffer[] }>> {
    await this.startInformer();
    const snapshots: Array<{ pod: V1Pod; snapshot: Buffer[] }> = [];
    for (const pod of this.informer!.podsOfJob(record.jobName)) {
      const part = await openPodLogPart(this.kube, this.namespace, pod.metadata!.name!, record.request.jobName, this.config.LOG_LIMIT_BYTES);
      // A container not started yet has no log so far; its follower waits for it.
      if (!part.log) break;
      const chunks: Buffer[] = [];
      for await (const chunk of part.log) chunks.push(chunk as Buffer);
      snapshots.push({ pod, snapshot: chunks });
    }
    return snapshots;
  }

  /**
   * The job's pods, oldest first, each as soon as its container has started (a part is given only once its log
   * can be read, so that nothing is sent for a pod that never runs), with its log followed; until `signal`.
   */
  private async *livePods(
    record: JobRecord,
    signal: AbortSignal,
    snapshot: Array<{ pod: V1Pod; snapshot: Buffer[] }> | undefined,
    onFirst: (pod: V1Pod) => void,
  ): AsyncGenerator<PodLogPart> {
    await this.startInformer();
    for (let index = 0; !signal.aborted; index++) {
      const pod = snapshot?.[index]?.pod ?? (await this.nthPod(record.jobName, index, signal));
      if (!pod) return;
      if (index === 0) onFirst(pod);
      const podName = pod.metadata!.name!;
      const already = snapshot?.[index]?.snapshot;
      const read = already ? already.reduce((sum, chunk) => sum + chunk.length, 0) : 0;
      const last = snapshot !== undefined && index === snapshot.length - 1;
      const follow = this.followContainer(podName, record.request.jobName, read, signal);
      if (already) {
        yield { podName, log: withSnapshot(already, last, follow) };
        continue;
      }
      const first = await follow.next();
      if (first.done) continue;
      yield { podName, log: prepend(first.value, follow) };
    }
  }

  /** The job's pod at this place in creation order, once it exists; undefined when `signal` ends the wait. */
  private async nthPod(uniqueJobName: string, index: number, signal: AbortSignal): Promise<V1Pod | undefined> {
    const informer = this.informer!;
    const found = () => informer.podsOfJob(uniqueJobName)[index];
    if (found()) return found();
    return new Promise((resolve) => {
      const done = (pod: V1Pod | undefined) => {
        unsubscribe();
        signal.removeEventListener('abort', aborted);
        resolve(pod);
      };
      const aborted = () => done(undefined);
      const unsubscribe = informer.onChange((change) => change.uniqueJobName === uniqueJobName && found() && done(found()));
      signal.addEventListener('abort', aborted, { once: true });
      if (signal.aborted) aborted();
    });
  }

  /**
   * A container's log from byte `from` on, as it grows, until it ends (or `signal`). Waits, with backoff, while
   * the container has not started (400). A read that fails or falls silent for the request time-out (a sleeping
   * container prints nothing) is opened again and the bytes already given are skipped, since a log only grows.
   */
  private async *followContainer(podName: string, container: string, from: number, signal: AbortSignal): AsyncGenerator<Buffer> {
    const opening = retryPolicy((error) => error instanceof KubeApiError && error.code === 400, WAIT_FOR_CONTAINER);
    let given = from;
    let pauses: IBackoff<unknown> = backoff(RECORD_READS).next();
    while (!signal.aborted) {
      let stream: Readable | undefined;
      try {
        stream = await opening.execute(() => this.kube.openPodLog(this.namespace, podName, container, this.config.LOG_LIMIT_BYTES, true), signal);
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
      if (!stream) return;
      const abort = () => stream!.destroy();
      signal.addEventListener('abort', abort, { once: true });
      let seen = 0;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          const fresh = chunk.subarray(Math.max(0, Math.min(chunk.length, given - seen)));
          seen += chunk.length;
          if (fresh.length === 0) continue;
          given += fresh.length;
          yield fresh;
        }
        return;
      } catch (error) {
        if (signal.aborted) return;
        this.logger.debug({ err: error, podName }, 'a followed pod log broke off; opening it again');
        await sleep(pauses.duration, undefined, { signal }).catch(() => undefined);
        pauses = pauses.next(undefined);
      } finally {
        signal.removeEventListener('abort', abort);
        stream.destroy();
      }
    }
  }

  /** The record once the job has ended: from its result event, or from the record read with backoff. */
  private async whenEnded(record: JobRecord, signal: AbortSignal): Promise<JobRecord> {
    if (isTerminal(record.status)) return record;
    return new Promise<JobRecord>((resolve, reject) => {
      let pauses: IBackoff<unknown> = backoff(RECORD_READS).next();
      const finish = (ended: JobRecord | undefined, error?: unknown) => {
        unsubscribe();
        signal.removeEventListener('abort', aborted);
        if (ended) resolve(ended);
        else reject(error ?? new Error('no longer followed'));
      };
      const aborted = () => finish(undefined);
      const unsubscribe = this.feed.subscribe((event) => event.record.id === record.id && isTerminal(event.status) && finish(event.record));
      signal.addEventListener('abort', aborted, { once: true });
      if (signal.aborted) return aborted();
      // The events are the trigger; reading the record, ever less often, covers one missed while RabbitMQ was away.
      const poll = async () => {
        while (!signal.aborted) {
          const current = await this.records.get(record.id).catch(() => undefined);
          if (current && isTerminal(current.status)) return finish(current);
          await sleep(pauses.duration, undefined, { signal }).catch(() => undefined);
          pauses = pauses.next(undefined);
        }
      };
      void poll();
    });
  }

  /** The ended record once its log is stored (the worker stores it after a cancellation the api recorded). */
  private async settled(ended: JobRecord, signal: AbortSignal): Promise<JobRecord> {
    if (ended.logObject) return ended;
    const policy = retry(
      handleWhenResult((record) => !(record as JobRecord | undefined)?.logObject),
      { maxAttempts: LOG_OBJECT_READS, backoff: new ExponentialBackoff({ initialDelay: RECORD_READS.initialDelayMs, maxDelay: RECORD_READS.maxDelayMs }) },
    );
    const record = await policy.execute(() => this.records.get(ended.id), signal).catch(() => undefined);
    return record ?? ended;
  }

  /** The stored log from `offset` on, once its first `offset` bytes are found to be what was sent. */
  private async *storedFrom(record: JobRecord, offset: number, sentDigest: Buffer): AsyncGenerator<Buffer> {
    const stored = record.logObject ? await this.logs.open(record.outputBucket, record.logObject) : undefined;
    if (!stored) {
      yield notice(`The job ended (${record.status}${record.reason ? `: ${record.reason}` : ''}) but its log was not stored; what was sent above is all there is.`);
      return;
    }
    const head = createHash('sha256');
    let compared = 0;
    let matched = offset === 0;
    try {
      for await (const chunk of stored.stream as AsyncIterable<Buffer>) {
        let rest = chunk;
        if (!matched) {
          const part = rest.subarray(0, offset - compared);
          head.update(part);
          compared += part.length;
          rest = rest.subarray(part.length);
          if (compared < offset) continue;
          if (!head.digest().equals(sentDigest)) break;
          matched = true;
        }
        if (rest.length > 0) yield rest;
      }
    } finally {
      stored.stream.destroy();
    }
    if (!matched) {
      this.logger.warn({ requestId: record.id, offset }, 'the stored log does not begin with what was followed live');
      yield notice(`The stored log differs from what was sent live (the Job's pods changed while it was followed); read it whole with GET /jobs/${record.id}/log.`);
    }
  }

  /**
   * The credentials the Job was given, masked as the worker masks them: the Jobs user's secret key and, with
   * JOB_S3_CREDENTIALS=sts, the Job's own from its Secret. A log is never sent unmasked: when the Secret cannot
   * be read (or is missing once a container has run), the answer is 503, or a notice where it has begun.
   */
  private async secretsOf(record: JobRecord, mayBeAbsent: boolean): Promise<string[]> {
    const shared = this.config.JOB_S3_SECRET_KEY ? [this.config.JOB_S3_SECRET_KEY] : [];
    if (this.config.JOB_S3_CREDENTIALS !== 'sts') return shared;
    let secret: V1Secret | undefined;
    try {
      secret = await this.kube.getSecret(this.namespace, jobCredentialsSecretName(record.jobName));
    } catch (error) {
      this.logger.warn({ err: error, requestId: record.id }, "could not read the Job's credentials Secret to mask them");
      throw new ServiceUnavailableException(`The credentials of Job ${record.id} cannot be read to mask them in its log, so the log is not sent; try again later.`);
    }
    if (!secret && !mayBeAbsent) throw new ServiceUnavailableException(`The credentials Secret of Job ${record.id} is gone, so its log cannot be masked and is not sent.`);
    return [...shared, ...secretValuesToMask(secret)];
  }

  /** One watch of the Jobs' pods for every followed log, started on the first. */
  private startInformer(): Promise<void> {
    this.informer ??= new PodInformer(this.kube, {
      namespace: this.namespace,
      labelSelector: MANAGED_SELECTOR,
      watchTimeoutSeconds: this.config.WATCH_TIMEOUT_SECONDS,
      stallSeconds: this.config.WATCH_STALL_SECONDS,
      onRestart: (reason, error) => {
        if (reason === 'error') this.logger.warn({ err: error }, 'could not list or watch the pods; retrying');
      },
    });
    return (this.informerStarted ??= this.informer.start());
  }
}

/** Marks, in the stream of a pod's log, the end of what existed when asked (for `tail`). */
const SNAPSHOT_READ = Buffer.alloc(0);

function notice(text: string): Buffer {
  return Buffer.from(`\n${NOTICE_PREFIX} ${text}\n`);
}

function* present(piece: Buffer | undefined): Generator<Buffer> {
  if (piece && piece.length > 0) yield piece;
}

async function* chunksOf(stream: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
  } finally {
    stream.destroy();
  }
}

async function* masked(body: AsyncIterable<Buffer>, masker: SecretMasker): AsyncGenerator<Buffer> {
  for await (const raw of body) yield* present(masker.push(raw));
  yield* present(masker.end());
}

async function* tailOf(body: AsyncIterable<Buffer>, lines: number): AsyncGenerator<Buffer> {
  const tail = new LineTail(lines);
  for await (const piece of body) tail.push(piece);
  yield* present(tail.text());
}

async function* prepend(first: Buffer, rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  yield first;
  yield* rest;
}

/** A pod's log read so far, the mark where it ends when it is the last pod read, then the rest as it grows. */
async function* withSnapshot(snapshot: Buffer[], last: boolean, rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  yield* snapshot;
  if (last) yield SNAPSHOT_READ;
  yield* rest;
}

function creationTime(pod: V1Pod): number {
  return new Date(pod.metadata?.creationTimestamp ?? 0).getTime();
}
