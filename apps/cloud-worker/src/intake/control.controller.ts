import { CANCEL_COMMAND } from '@app/contracts';
import { ROOT_LOGGER, type Logger } from '@app/observability';
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { JobReconciler } from '../lifecycle/job-reconciler.service.js';
import { CONTROL_TRANSPORT } from './rmq-servers.js';

/**
 * Commands from the api to every worker, on the control exchange. A cancel only makes the worker following the
 * request read its record again sooner: the record (already `cancelled`) is what counts, so a lost command
 * delays the Job's end by at most one resync, and nothing else.
 */
@Controller()
export class ControlController {
  constructor(
    @Inject(JobReconciler) private readonly reconciler: JobReconciler,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern<string>(CANCEL_COMMAND, CONTROL_TRANSPORT)
  onCancel(@Payload() command: { id?: unknown }): void {
    if (typeof command?.id !== 'string') return;
    if (this.reconciler.refresh(command.id)) this.logger.info({ requestId: command.id }, 'cancel command received; stopping the Job');
  }
}
