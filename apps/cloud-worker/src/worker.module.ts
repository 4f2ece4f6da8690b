import { ConfigModule, WorkerConfig } from '@app/config';
import { LoggingModule, type Logger } from '@app/observability';
import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule } from './health/health.module.js';
import { IntakeModule } from './intake/intake.module.js';

@Module({})
export class WorkerModule {
  /** The configuration and the root logger, made once in `main.ts`, are global; every other module imports what it uses. */
  static register(config: WorkerConfig, logger: Logger): DynamicModule {
    return { module: WorkerModule, imports: [ConfigModule.register(config), HealthModule, IntakeModule, LoggingModule.register(logger)] };
  }
}
