import { WorkerConfig } from '@app/config';
import {
  describeProblems,
  stringFieldOf,
  UNREADABLE_MESSAGE_PATTERN,
  validateWorkRequest,
  WORK_REQUEST_PATTERN,
  type WorkRequestRules,
} from '@app/contracts';
import { audit, ROOT_LOGGER, type Logger } from '@app/observability';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import type { Channel, ConsumeMessage } from 'amqplib';
import { DeadLetters } from '../answers/dead-letters.js';
import { RmqDelivery } from '../answers/delivery.js';
import { JobReconciler } from '../lifecycle/job-reconciler.service.js';
import { WorkerMetrics } from '../worker.metrics.js';
import { WORK_TRANSPORT } from './rmq-servers.js';
import { requestIdOf, type WorkMessage } from './work-message.js';

/**
 * The edge between the work queue and the lifecycle: every message is validated here once, into a typed request
 * handed to the reconciler with its delivery (held until the request is answered), or dead-lettered with the
 * reason and audited. The api's checks (the image policy among them) are made again here, since messages sent
 * straight to RabbitMQ never pass the api. Nothing here waits for a Job. (`@EventPattern<string>` picks the untyped overload; the typed one cannot
 * describe a handler taking `@Ctx()`.)
 */
@Controller()
export class IntakeController {
  private readonly rules: WorkRequestRules;

  constructor(
    @Inject(JobReconciler) private readonly reconciler: JobReconciler,
    @Inject(DeadLetters) private readonly deadLetters: DeadLetters,
    @Inject(WorkerConfig) private readonly config: WorkerConfig,
    @Inject(WorkerMetrics) private readonly metrics: WorkerMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.rules = config.workRequestRules;
  }

  @EventPattern<string>(WORK_REQUEST_PATTERN, WORK_TRANSPORT)
  async onWorkRequest(@Payload() message: WorkMessage, @Ctx() context: RmqContext): Promise<void> {
    const delivery = deliveryOf(context);
    if (this.tooLarge(delivery)) return this.onUnreadable(message, context);
    const body = 'body' in message ? message.body : undefined;
    const id = requestIdOf(body, delivery.message.properties);
    const validation = validateWorkRequest(body, this.rules);
    if (validation.ok) {
      this.reconciler.receive({ ...validation.request, id }, delivery, ownerOf(delivery, this.config.AMQP_DEFAULT_OWNER));
      this.metrics.messages.inc({ outcome: 'accepted' });
      return;
    }
    const reason = `Invalid work request: ${describeProblems(validation.problems)}`;
    // RabbitMQ has checked a given user_id against the connection's user.
    const owner = (delivery.message.properties.userId as string | undefined) ?? this.config.AMQP_DEFAULT_OWNER;
    audit(this.logger, { action: 'deny', owner, source: 'amqp', id, image: stringFieldOf(body, 'image'), reason });
    this.metrics.messages.inc({ outcome: 'invalid' });
    await this.deadLetters.reject(delivery, reason, validation.problems, id);
  }

  @EventPattern<string>(UNREADABLE_MESSAGE_PATTERN, WORK_TRANSPORT)
  async onUnreadable(@Payload() message: WorkMessage, @Ctx() context: RmqContext): Promise<void> {
    const delivery = deliveryOf(context);
    // Size first: a message over the limit is refused whatever it holds.
    const reason = this.tooLarge(delivery) ?? ('unreadable' in message ? message.unreadable : 'unreadable message');
    const { messageId, correlationId } = delivery.message.properties;
    const id = messageId ?? correlationId ?? null;
    this.logger.warn({ reason, messageId: id }, 'rejected an unreadable message');
    this.metrics.messages.inc({ outcome: 'unreadable' });
    await this.deadLetters.reject(delivery, `Unreadable message: ${reason}`, [{ field: '(body)', rule: 'json', message: reason }], id);
  }

  private tooLarge(delivery: RmqDelivery): string | undefined {
    const limit = this.config.MAX_REQUEST_BYTES;
    return delivery.message.content.length > limit ? `the message is larger than the limit of ${limit} bytes` : undefined;
  }
}

/** A message's owner: its `user_id`, which RabbitMQ checks against the connection's user, else the configured default. */
function ownerOf(delivery: RmqDelivery, defaultOwner: string): string {
  return delivery.message.properties.userId || defaultOwner;
}

function deliveryOf(context: RmqContext): RmqDelivery {
  return new RmqDelivery(context.getMessage() as ConsumeMessage, context.getChannelRef() as Channel);
}
