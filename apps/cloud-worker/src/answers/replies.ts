import type { JobRecord } from '@app/contracts';
import { buildReply, buildRejection, type FieldProblem } from '@app/contracts';
import { AmqpPublisher } from '@app/messaging';
import { Inject, Injectable } from '@nestjs/common';
import type { Delivery } from './delivery.js';

/** Answers a message's `reply_to` queue with its `correlation_id`, as MSTC clients expect. */
@Injectable()
export class Replies {
  constructor(@Inject(AmqpPublisher) private readonly publisher: AmqpPublisher) {}

  /** The Job's end, in the spec's reply format. Not sent for a delivery RabbitMQ will deliver again. */
  async ended(delivery: Delivery, record: JobRecord): Promise<void> {
    await this.send(delivery, buildReply(record));
  }

  async rejected(delivery: Delivery, id: string | null, reason: string, errors: FieldProblem[]): Promise<void> {
    await this.send(delivery, buildRejection(id, reason, errors));
  }

  private async send(delivery: Delivery, body: unknown): Promise<void> {
    if (!delivery.replyTo || !delivery.isLive()) return;
    await this.publisher.sendToQueue(delivery.replyTo, body, { ...(delivery.correlationId && { correlationId: delivery.correlationId }) });
  }
}
