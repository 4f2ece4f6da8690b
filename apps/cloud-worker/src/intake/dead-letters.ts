import { WorkerConfig } from '@app/config';
import { DEAD_LETTER_REASON_HEADER, type FieldProblem } from '@app/contracts';
import { AmqpPublisher } from '@app/messaging';
import { Inject, Injectable } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import type { Delivery } from './delivery.js';
import { Replies } from './replies.js';

/**
 * Rejected messages are published to the dead-letter queue by the worker itself, with the reason in a header:
 * the work queue cannot carry a dead-letter argument without breaking MSTC clients' declarations of it.
 * The message is answered when it asked for a reply, and only then taken off the work queue.
 */
@Injectable()
export class DeadLetters {
  constructor(
    @Inject(AmqpPublisher) private readonly publisher: AmqpPublisher,
    @Inject(Replies) private readonly replies: Replies,
    @Inject(WorkerConfig) private readonly config: WorkerConfig,
  ) {}

  async reject(message: ConsumeMessage, delivery: Delivery, reason: string, errors: FieldProblem[] = [], id: string | null = null): Promise<void> {
    const { properties, fields } = message;
    await this.publisher.sendToQueue(this.config.DEAD_LETTER_QUEUE, message.content, {
      contentType: properties.contentType,
      messageId: properties.messageId,
      correlationId: properties.correlationId,
      replyTo: properties.replyTo,
      headers: {
        ...properties.headers,
        [DEAD_LETTER_REASON_HEADER]: reason,
        'x-original-exchange': fields.exchange,
        'x-original-routing-key': fields.routingKey,
        'x-rejected-by': this.config.WORKER_ID,
      },
    });
    await this.replies.rejected(delivery, id, reason, errors);
    delivery.ack();
  }
}
