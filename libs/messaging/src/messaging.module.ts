import { CommonConfig } from '@app/config';
import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AmqpPublisher } from './amqp-publisher.js';
import { ResultEvents } from './result-events.js';
import { amqpNames } from './topology.js';

/** Publishing both apps share: confirmed, persistent messages on a connection of their own, and result events. */
@Module({
  providers: [
    {
      provide: AmqpPublisher,
      inject: [CommonConfig],
      useFactory: (config: CommonConfig) =>
        new AmqpPublisher({ url: config.AMQP_URL, names: amqpNames(config), publishTimeoutMs: config.PUBLISH_TIMEOUT_MS }),
    },
    {
      provide: ResultEvents,
      inject: [AmqpPublisher, CommonConfig],
      useFactory: (publisher: AmqpPublisher, config: CommonConfig) => new ResultEvents(publisher, config.RESULTS_EXCHANGE),
    },
  ],
  exports: [AmqpPublisher, ResultEvents],
})
export class MessagingModule implements OnApplicationShutdown {
  constructor(@Inject(AmqpPublisher) private readonly publisher: AmqpPublisher) {}

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.close();
  }
}
