import { ApiConfig, ConfigModule } from '@app/config';
import { LoggingModule, MetricsModule, type Logger } from '@app/observability';
import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';

@Module({})
export class ApiModule {
  /** The configuration and the root logger, made once in `main.ts`, are global; every other module imports what it uses. */
  static register(config: ApiConfig, logger: Logger): DynamicModule {
    return {
      module: ApiModule,
      imports: [ConfigModule.register(config), HealthModule, JobsModule, LoggingModule.register(logger), MetricsModule],
    };
  }
}
