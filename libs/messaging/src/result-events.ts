import { resultRoutingKey, type JobRecord } from '@app/contracts';
import type { AmqpPublisher } from './amqp-publisher.js';

/** Publishes each change of a job record to the results exchange, routed by `job.<status>`, carrying the record. */
export class ResultEvents {
  constructor(
    private readonly publisher: AmqpPublisher,
    private readonly exchange: string,
  ) {}

  publish(record: JobRecord): Promise<void> {
    const routingKey = resultRoutingKey(record.status);
    return this.publisher.publish(this.exchange, routingKey, record, {
      messageId: `${record.id}:${record.status}`,
      correlationId: record.id,
      type: routingKey,
    });
  }
}
