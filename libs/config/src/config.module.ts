import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CommonConfig } from './common.config.js';

/**
 * Makes the configuration, loaded and validated once in `main.ts`, injectable as its own class and as each class
 * it extends (KubeAccessConfig, CommonConfig), so that shared code asks only for what it reads.
 */
@Global()
@Module({})
export class ConfigModule {
  static register<T extends CommonConfig>(config: T): DynamicModule {
    const classes: Array<abstract new () => CommonConfig> = [];
    for (let type = config.constructor as new () => CommonConfig; type !== CommonConfig; type = Object.getPrototypeOf(type) as new () => CommonConfig) classes.push(type);
    classes.push(CommonConfig);
    return {
      module: ConfigModule,
      providers: classes.map((type) => ({ provide: type, useValue: config })),
      exports: classes,
    };
  }
}
