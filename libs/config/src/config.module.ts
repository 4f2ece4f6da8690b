import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CommonConfig } from './common.config.js';

/** Makes the configuration, loaded and validated once in `main.ts`, injectable as its own class and as CommonConfig. */
@Global()
@Module({})
export class ConfigModule {
  static register<T extends CommonConfig>(config: T): DynamicModule {
    const ownClass = config.constructor as new () => T;
    return {
      module: ConfigModule,
      providers: [
        { provide: ownClass, useValue: config },
        { provide: CommonConfig, useValue: config },
      ],
      exports: [ownClass, CommonConfig],
    };
  }
}
