import { ConfigModule, WorkerConfig } from '@app/config';
import { MessagingModule } from '@app/messaging';
import { LoggingModule, MetricsModule, type Logger } from '@app/observability';
import { StorageHealthIndicator, StorageModule } from '@app/storage';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health/health.controller.js';
import { IntakeModule } from './intake/intake.module.js';
import { KubernetesModule } from './kubernetes/kubernetes.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
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
        IntakeModule,
        KubernetesModule,
        LifecycleModule,
        LoggingModule.register(logger),
        MessagingModule,
        MetricsModule,
        StorageModule,
        TerminusModule.forRoot({ errorLogStyle: 'json' }),
        WorkerMetricsModule,
      ],
      controllers: [HealthController],
      providers: [StorageHealthIndicator],
    };
  }
}
