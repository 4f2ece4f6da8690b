import { recordAsOf, resultRoutingKey, type JobRecord, type JobStatus } from '@app/contracts';
import type { AmqpPublisher } from './amqp-publisher.js';

/**
 * Publishes each change of a job record to the results exchange, routed by `job.<status>`, carrying the record
 * as it was at that status. The message id is `<id>:<status>`, so a subscriber can drop the rare repeat (an
 * announcement is retried until confirmed, and a worker that takes over may repeat one; see `JobRecord.announced`).
 */
export class ResultEvents {
  constructor(
    private readonly publisher: AmqpPublisher,
    private readonly exchange: string,
  ) {}

  publish(record: JobRecord, status: JobStatus = record.status): Promise<void> {
    const routingKey = resultRoutingKey(status);
    const { announced: _outbox, ...body } = recordAsOf(record, status);
    return this.publisher.publish(this.exchange, routingKey, body, {
      messageId: `${record.id}:${status}`,
      correlationId: record.id,
      type: routingKey,
    });
  }
}
