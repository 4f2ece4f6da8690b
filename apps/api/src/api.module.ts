import { ApiConfig, ConfigModule } from '@app/config';
import { MessagingModule } from '@app/messaging';
import { LoggingModule, MetricsModule, type Logger } from '@app/observability';
import { StorageModule } from '@app/storage';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ApiMetrics } from './api.metrics.js';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';

@Global()
@Module({ providers: [ApiMetrics], exports: [ApiMetrics] })
class ApiMetricsModule {}

@Module({})
export class ApiModule {
  static register(config: ApiConfig, logger: Logger): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ApiMetricsModule,
        ConfigModule.register(config),
        HealthModule,
        JobsModule,
        LoggingModule.register(logger),
        MessagingModule,
        MetricsModule,
        StorageModule,
      ],
    };
  }
}
