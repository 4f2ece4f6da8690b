import { ApiConfig } from '@app/config';
import { CANCEL_COMMAND, isTerminal, newJobRecord, sameWork, type JobRecord, type JobStatus, type WorkRequest } from '@app/contracts';
import { AmqpPublisher, ResultEvents } from '@app/messaging';
import { audit, ROOT_LOGGER, type Logger } from '@app/observability';
import { InvalidCursorError, JobLogs, JobRecordStore } from '@app/storage';
import { ConflictException, Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { ApiMetrics } from '../api.metrics.js';
import { listedOwner, maySee, type Caller } from '../auth/caller.js';
import { InvalidInputException } from '../invalid-input.js';
import { WorkQueue } from './work-queue.js';

export interface Submission {
  record: JobRecord;
  /** True when this id was submitted before: nothing new was started. */
  replayed: boolean;
}

@Injectable()
export class JobsService {
  constructor(
    @Inject(JobRecordStore) private readonly records: JobRecordStore,
    @Inject(JobLogs) private readonly logs: JobLogs,
    @Inject(ApiConfig) private readonly config: ApiConfig,
    @Inject(WorkQueue) private readonly workQueue: WorkQueue,
    @Inject(AmqpPublisher) private readonly publisher: AmqpPublisher,
    @Inject(ResultEvents) private readonly events: ResultEvents,
    @Inject(ApiMetrics) private readonly metrics: ApiMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Records the request as queued and publishes it. Answers only once RabbitMQ has confirmed the message; when
   * RabbitMQ cannot take it, the record is removed again so that nothing is left behind. The caller owns the job.
   */
  async submit(work: WorkRequest, caller: Caller): Promise<Submission> {
    if (!this.workQueue.isConnected() || !this.publisher.isConnected()) {
      this.metrics.submissions.inc({ outcome: 'unavailable' });
      throw new ServiceUnavailableException('RabbitMQ is not reachable; the request was not accepted, nothing was stored. Try again later.');
    }
    const request = { ...work, id: work.id ?? randomUUID() };
    // Declared announced with the write: the queued event goes out next, and the record is removed if it cannot.
    const record = newJobRecord(request, caller.owner, new Date().toISOString(), ['queued']);
    const log = this.logger.child({ requestId: request.id, jobName: record.jobName });
    const { created, record: stored } = await this.records.create(record);
    // An id is only the submitter's to repeat; to anyone else it answers as a conflict, like any id in use.
    if (!created) return this.replay(stored, request, caller, log);
    try {
      // The queued event goes first, on the same broker, so subscribers see a job's events in order.
      await this.events.publish(record);
      await this.workQueue.publish(request);
    } catch (error) {
      log.warn({ err: error }, 'RabbitMQ did not confirm the work request; removing its record');
      await this.records.remove(record).catch((cleanup: unknown) => log.error({ err: cleanup }, 'could not remove the record of an unpublished request'));
      this.metrics.submissions.inc({ outcome: 'unavailable' });
      throw new ServiceUnavailableException('RabbitMQ did not confirm the request; it was not accepted, nothing was stored. Try again later.');
    }
    log.info({ image: request.image }, 'work request queued');
    audit(this.logger, { action: 'submit', owner: caller.owner, source: 'http', id: request.id, image: request.image });
    this.metrics.submissions.inc({ outcome: 'accepted' });
    return { record, replayed: false };
  }

  /** A job the caller may see; another owner's answers exactly as an unknown id does, so its existence is not revealed. */
  async get(id: string, caller: Caller): Promise<JobRecord> {
    const record = await this.records.get(id);
    if (record && maySee(caller, record)) return record;
    if (record) audit(this.logger, { action: 'deny', owner: caller.owner, source: 'http', id, status: 404, reason: "another owner's job" });
    throw new NotFoundException(`No job with id ${id}`);
  }

  /** One page of the records the caller may see, as the api answers it. */
  async list(caller: Caller, statuses: readonly JobStatus[] | 'all', limit: number, cursor?: string): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    try {
      const page = await this.records.list(statuses, limit, cursor, listedOwner(caller));
      return { jobs: page.records, nextCursor: page.nextCursor ?? null };
    } catch (error) {
      if (!(error instanceof InvalidCursorError)) throw error;
      throw new InvalidInputException('query', [{ field: 'cursor', rule: 'isCursor', message: error.message }]);
    }
  }

  /**
   * Cancels a job that has not ended: its record says cancelled at once (and the event says so), and every
   * worker is told; the one following the Job stores its log so far, deletes it and answers the request. A job
   * still in the queue is answered as cancelled when a worker takes it, and never started.
   */
  async cancel(id: string, caller: Caller): Promise<JobRecord> {
    const current = await this.get(id, caller);
    if (isTerminal(current.status)) throw alreadyEnded(current);
    const result = await this.records.update(id, { status: 'cancelled', at: new Date().toISOString(), reason: 'Cancelled', exitCode: null });
    if (result.outcome !== 'applied') throw alreadyEnded(result.record);
    const log = this.logger.child({ requestId: id, jobName: result.record.jobName });
    await this.announceCancelled(result.record, log);
    await this.publisher
      .publish(this.config.CONTROL_EXCHANGE, '', { pattern: CANCEL_COMMAND, data: { id } }, { persistent: false })
      .catch((error: unknown) => log.warn({ err: error }, 'could not tell the workers; the Job stops when a worker next looks at it'));
    log.info('job cancelled');
    audit(this.logger, { action: 'cancel', owner: caller.owner, source: 'http', id, image: result.record.request.image });
    return result.record;
  }

  /**
   * Publishes the cancelled event and records it as announced; when either fails, the worker that next looks at
   * the record (at the latest on its resync) announces it instead (`JobRecord.announced`).
   */
  private async announceCancelled(record: JobRecord, log: Logger): Promise<void> {
    try {
      await this.events.publish(record);
      await this.records.update(record.id, { status: record.status, at: new Date().toISOString(), announced: [record.status] });
    } catch (error) {
      log.warn({ err: error }, 'could not announce the cancellation; a worker will');
    }
  }

  /** The stored log of a job, as a stream. */
  async openLog(id: string, caller: Caller): Promise<{ stream: Readable; size: number }> {
    const record = await this.get(id, caller);
    const stored = record.logObject ? await this.logs.open(record.outputBucket, record.logObject) : undefined;
    if (!stored) throw new NotFoundException(`Job ${id} has no stored log yet (status ${record.status})`);
    return stored;
  }

  /** A second submission of an id: the same work is answered with its record, different work is refused. */
  private async replay(stored: JobRecord, request: WorkRequest & { id: string }, caller: Caller, log: Logger): Promise<Submission> {
    if (!sameWork(stored.request, request) || !maySee(caller, stored)) {
      this.metrics.submissions.inc({ outcome: 'conflict' });
      throw new ConflictException(`A different request was already submitted with id ${request.id}; choose a new id.`);
    }
    if (stored.status === 'queued') {
      // Its message may have been lost with a crashed replica; a second copy is harmless, as the worker
      // adopts the Job its deterministic name points at instead of starting another.
      await this.workQueue.publish(request).catch((error: unknown) => log.warn({ err: error }, 'could not publish the replayed request again'));
    }
    this.metrics.submissions.inc({ outcome: 'replayed' });
    return { record: stored, replayed: true };
  }
}

function alreadyEnded(record: JobRecord): ConflictException {
  return new ConflictException(`Job ${record.id} has already ended (${record.status}); there is nothing to cancel.`);
}
