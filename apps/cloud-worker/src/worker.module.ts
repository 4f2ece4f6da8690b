import { ConfigModule, WorkerConfig } from '@app/config';
import { MessagingModule } from '@app/messaging';
import { LoggingModule, MetricsModule, type Logger } from '@app/observability';
import { StorageHealthIndicator, StorageModule } from '@app/storage';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health/health.controller.js';
import { DeadLetters } from './intake/dead-letters.js';
import { IntakeController } from './intake/intake.controller.js';
import { Replies } from './intake/replies.js';
import { CONTROL_SERVER, controlServer, WORK_SERVER, workServer } from './intake/rmq-servers.js';
import { KubernetesModule } from './kubernetes/kubernetes.module.js';
import { Reconciler } from './reconcile/reconciler.service.js';
import { JobRunner } from './runner/job-runner.service.js';
import { WorkerMetrics } from './worker.metrics.js';

@Global()
@Module({ providers: [WorkerMetrics], exports: [WorkerMetrics] })
class WorkerMetricsModule {}

@Module({})
export class WorkerModule {
  static register(config: WorkerConfig, logger: Logger): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.register(config),
        KubernetesModule,
        LoggingModule.register(logger),
        MessagingModule,
        MetricsModule,
        StorageModule,
        TerminusModule.forRoot({ errorLogStyle: 'json' }),
        WorkerMetricsModule,
      ],
      controllers: [HealthController, IntakeController],
      providers: [
        DeadLetters,
        JobRunner,
        Reconciler,
        Replies,
        StorageHealthIndicator,
        { provide: CONTROL_SERVER, inject: [WorkerConfig], useFactory: controlServer },
        { provide: WORK_SERVER, inject: [WorkerConfig], useFactory: workServer },
      ],
    };
  }
}
