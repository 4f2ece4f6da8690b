import { WorkerConfig } from '@app/config';
import { DEAD_LETTER_REASON_HEADER, type FieldProblem } from '@app/contracts';
import { AmqpPublisher } from '@app/messaging';
import { ROOT_LOGGER, type Logger } from '@app/observability';
import { Inject, Injectable } from '@nestjs/common';
import { retryOutages } from '../lifecycle/failures.js';
import type { Delivery } from './delivery.js';
import { Replies } from './replies.js';

/**
 * Rejected messages are published to the dead-letter queue by the worker itself, with the reason in a header:
 * the work queue cannot carry a dead-letter argument without breaking MSTC clients' declarations of it.
 * The message is answered when it asked for a reply, and only then taken off the work queue. While RabbitMQ
 * cannot take the dead letter, the message is held and the publish retried with backoff; should its channel
 * close meanwhile, RabbitMQ delivers it again and the retry ends.
 */
@Injectable()
export class DeadLetters {
  private readonly retries;

  constructor(
    @Inject(AmqpPublisher) private readonly publisher: AmqpPublisher,
    @Inject(Replies) private readonly replies: Replies,
    @Inject(WorkerConfig) private readonly config: WorkerConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.retries = retryOutages(config);
    this.retries.onRetry(({ delay }) => this.logger.warn({ delayMs: delay }, 'could not dead-letter a message; retrying'));
  }

  async reject(delivery: Delivery, reason: string, errors: FieldProblem[] = [], id: string | null = null): Promise<void> {
    await this.retries.execute(async ({ signal }) => {
      if (!delivery.isLive() || signal.aborted) return;
      await this.publish(delivery, reason);
      await this.replies.rejected(delivery, id, reason, errors);
      delivery.ack();
    });
  }

  private async publish(delivery: Delivery, reason: string): Promise<void> {
    const { properties, fields, content } = delivery.message;
    await this.publisher.sendToQueue(this.config.DEAD_LETTER_QUEUE, content, {
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
  }
}
