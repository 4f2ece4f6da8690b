import { WorkerConfig } from '@app/config';
import { Module } from '@nestjs/common';
import { AnswersModule } from '../answers/answers.module.js';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { WorkerMetricsModule } from '../worker-metrics.module.js';
import { ControlController } from './control.controller.js';
import { IntakeController } from './intake.controller.js';
import { CONTROL_SERVER, controlServer, WORK_SERVER, workServer } from './rmq-servers.js';

/** RabbitMQ into commands: the work queue's messages and the control exchange's commands, each on a consumer of its own. */
@Module({
  imports: [AnswersModule, LifecycleModule, WorkerMetricsModule],
  controllers: [ControlController, IntakeController],
  providers: [
    { provide: CONTROL_SERVER, inject: [WorkerConfig], useFactory: controlServer },
    { provide: WORK_SERVER, inject: [WorkerConfig], useFactory: workServer },
  ],
  exports: [CONTROL_SERVER, WORK_SERVER],
})
export class IntakeModule {}
