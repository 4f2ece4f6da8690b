import { WorkerConfig } from '@app/config';
import {
  CANCEL_COMMAND,
  describeProblems,
  UNREADABLE_MESSAGE_PATTERN,
  validateWorkRequest,
  WORK_REQUEST_PATTERN,
} from '@app/contracts';
import { ROOT_LOGGER, type Logger } from '@app/observability';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import type { Channel, ConsumeMessage } from 'amqplib';
import { JobRunner } from '../runner/job-runner.service.js';
import { WorkerMetrics } from '../worker.metrics.js';
import { DeadLetters } from './dead-letters.js';
import { RmqDelivery } from './delivery.js';
import { requestIdOf, type WorkMessage } from './work-message.js';

/** Pause before a message that failed on a dependency goes back to the queue. */
const REQUEUE_DELAY_MS = 2000;

/**
 * The edge between RabbitMQ and the Job runner: every message is validated here once, into a typed request.
 * (`@EventPattern<string>` picks the untyped overload; the typed one cannot describe a handler taking `@Ctx()`.)
 */
@Controller()
export class IntakeController {
  constructor(
    @Inject(JobRunner) private readonly runner: JobRunner,
    @Inject(DeadLetters) private readonly deadLetters: DeadLetters,
    @Inject(WorkerConfig) private readonly config: WorkerConfig,
    @Inject(WorkerMetrics) private readonly metrics: WorkerMetrics,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern<string>(WORK_REQUEST_PATTERN)
  async onWorkRequest(@Payload() message: WorkMessage, @Ctx() context: RmqContext): Promise<void> {
    const { raw, delivery } = this.unwrap(context);
    if (raw.fields.exchange === this.config.CONTROL_EXCHANGE) return;
    const body = 'body' in message ? message.body : undefined;
    const id = requestIdOf(body, raw.properties);
    const log = this.logger.child({ requestId: id });
    try {
      const validation = validateWorkRequest(body, this.config.timeOutLimits);
      if (!validation.ok) {
        const reason = `Invalid work request: ${describeProblems(validation.problems)}`;
        log.warn({ problems: validation.problems }, 'rejected an invalid work request');
        await this.deadLetters.reject(raw, delivery, reason, validation.problems, id);
        this.metrics.messages.inc({ outcome: 'invalid' });
        return;
      }
      const outcome = await this.runner.accept({ ...validation.request, id }, delivery);
      if (outcome === 'conflict') {
        log.warn('rejected a request whose id belongs to different work');
        await this.deadLetters.reject(raw, delivery, `Request id ${id} was already used for a different request`, [], id);
      }
      this.metrics.messages.inc({ outcome });
    } catch (error) {
      log.error({ err: error }, 'could not take the work request; it goes back to the queue');
      this.metrics.messages.inc({ outcome: 'retried' });
      delivery.requeueLater(REQUEUE_DELAY_MS);
    }
  }

  @EventPattern<string>(UNREADABLE_MESSAGE_PATTERN)
  async onUnreadable(@Payload() message: WorkMessage, @Ctx() context: RmqContext): Promise<void> {
    const { raw, delivery } = this.unwrap(context);
    const reason = 'unreadable' in message ? message.unreadable : 'unreadable message';
    const id = raw.properties.messageId ?? raw.properties.correlationId ?? null;
    try {
      this.logger.warn({ reason, messageId: id }, 'rejected an unreadable message');
      await this.deadLetters.reject(raw, delivery, `Unreadable message: ${reason}`, [{ field: '(body)', rule: 'json', message: reason }], id);
      this.metrics.messages.inc({ outcome: 'unreadable' });
    } catch (error) {
      this.logger.error({ err: error }, 'could not dead-letter an unreadable message; it goes back to the queue');
      delivery.requeueLater(REQUEUE_DELAY_MS);
    }
  }

  /** A cancel command from the api, on the control exchange; the worker following the Job stops it. */
  @EventPattern<string>(CANCEL_COMMAND)
  async onCancel(@Payload() command: { id?: unknown }, @Ctx() context: RmqContext): Promise<void> {
    const raw = context.getMessage() as ConsumeMessage;
    if (raw.fields.exchange !== this.config.CONTROL_EXCHANGE || typeof command?.id !== 'string') return;
    try {
      if (await this.runner.cancel(command.id)) this.logger.info({ requestId: command.id }, 'Job cancelled');
    } catch (error) {
      this.logger.error({ err: error, requestId: command.id }, 'could not cancel the Job');
    }
  }

  private unwrap(context: RmqContext): { raw: ConsumeMessage; delivery: RmqDelivery } {
    const raw = context.getMessage() as ConsumeMessage;
    return { raw, delivery: new RmqDelivery(raw, context.getChannelRef() as Channel) };
  }
}
