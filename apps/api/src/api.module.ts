import { ApiConfig, ConfigModule } from '@app/config';
import { LoggingModule, MetricsModule, type Logger } from '@app/observability';
import { Inject, Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from './auth/auth.module.js';
import type { StaticTokens } from './auth/static-tokens.js';
import { jsonBodyParser } from './body-parser.js';
import { DependencyErrorFilter } from './dependency-error.filter.js';
import { FilesModule } from './files/files.module.js';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { LiveModule } from './live/live.module.js';

@Module({})
export class ApiModule implements NestModule {
  constructor(@Inject(ApiConfig) private readonly config: ApiConfig) {}

  /**
   * The configuration, the static tokens and the root logger, made once in `main.ts`, are global; every other
   * module imports what it uses.
   */
  static register(config: ApiConfig, logger: Logger, staticTokens: StaticTokens): DynamicModule {
    return {
      module: ApiModule,
      imports: [AuthModule.register(staticTokens), ConfigModule.register(config), FilesModule, HealthModule, JobsModule, LiveModule, LoggingModule.register(logger), MetricsModule],
      providers: [{ provide: APP_FILTER, useClass: DependencyErrorFilter }],
    };
  }

  /**
   * Every body is read by this parser (the app is created without Nest's own, `bodyParser: false`), but a file's:
   * an upload is streamed to the store as it comes (FilesController), never held.
   */
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(jsonBodyParser(this.config.MAX_REQUEST_BYTES))
      .exclude({ path: 'files/*path', method: RequestMethod.PUT })
      .forRoutes('*');
  }
}
