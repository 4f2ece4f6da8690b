import { newJobRecord, sameWork, type JobRecord, type WorkRequest } from '@app/contracts';
import { AmqpPublisher, ResultEvents } from '@app/messaging';
import { ROOT_LOGGER, type Logger } from '@app/observability';
import { JobRecordStore } from '@app/storage';
import { ConflictException, Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ApiMetrics } from '../api.metrics.js';
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
    @Inject(WorkQueue) private readonly workQueue: WorkQueue,
    @Inject(AmqpPublisher) private readonly publisher: AmqpPublisher,
    @Inject(ResultEvents) private readonly events: ResultEvents,
    @Inject(ApiMetrics) private readonly metrics: ApiMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Records the request as queued and publishes it. Answers only once RabbitMQ has confirmed the message; when
   * RabbitMQ cannot take it, the record is removed again so that nothing is left behind.
   */
  async submit(work: WorkRequest): Promise<Submission> {
    if (!this.workQueue.isConnected() || !this.publisher.isConnected()) {
      this.metrics.submissions.inc({ outcome: 'unavailable' });
      throw unavailable('RabbitMQ is not reachable; the request was not accepted, nothing was stored. Try again later.');
    }
    const request = { ...work, id: work.id ?? randomUUID() };
    const record = newJobRecord(request, new Date().toISOString());
    const log = this.logger.child({ requestId: request.id, jobName: record.jobName });
    const { created, record: stored } = await this.records.create(record);
    if (!created) return this.replay(stored, request, log);
    try {
      // The queued event goes first, on the same broker, so subscribers see a job's events in order.
      await this.events.publish(record);
      await this.workQueue.publish(request);
    } catch (error) {
      log.warn({ err: error }, 'RabbitMQ did not confirm the work request; removing its record');
      await this.records.remove(record).catch((cleanup: unknown) => log.error({ err: cleanup }, 'could not remove the record of an unpublished request'));
      this.metrics.submissions.inc({ outcome: 'unavailable' });
      throw unavailable('RabbitMQ did not confirm the request; it was not accepted, nothing was stored. Try again later.');
    }
    log.info({ image: request.image }, 'work request queued');
    this.metrics.submissions.inc({ outcome: 'accepted' });
    return { record, replayed: false };
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return this.records.get(id);
  }

  /** A second submission of an id: the same work is answered with its record, different work is refused. */
  private async replay(stored: JobRecord, request: WorkRequest & { id: string }, log: Logger): Promise<Submission> {
    if (!sameWork(stored.request, request)) {
      this.metrics.submissions.inc({ outcome: 'conflict' });
      throw new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        message: `A different request was already submitted with id ${request.id}; choose a new id.`,
      });
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

function unavailable(message: string): ServiceUnavailableException {
  return new ServiceUnavailableException({ statusCode: 503, error: 'Service Unavailable', message });
}
