import { ApiConfig } from '@app/config';
import { RECORDED_HEADER, WORK_REQUEST_PATTERN, type IdentifiedRequest } from '@app/contracts';
import { CONNECTION_OPTIONS, WORK_QUEUE_OPTIONS } from '@app/messaging';
import { ROOT_LOGGER, type Logger } from '@app/observability';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ClientRMQ, RmqRecordBuilder } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';

/** Work requests go to the work queue through Nest's RabbitMQ ClientProxy, persistent and confirmed. */
@Injectable()
export class WorkQueue implements OnModuleInit, OnApplicationShutdown {
  private readonly client: ClientRMQ;
  private connected = false;

  constructor(
    @Inject(ApiConfig) private readonly config: ApiConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.client = new ClientRMQ({
      urls: [config.AMQP_URL],
      queue: config.WORK_QUEUE,
      queueOptions: WORK_QUEUE_OPTIONS,
      persistent: true,
      socketOptions: CONNECTION_OPTIONS,
    });
  }

  onModuleInit(): void {
    this.client.status.subscribe((status) => (this.connected = status === 'connected'));
    // Not awaited: the api starts (and answers 503) while RabbitMQ is away, and connects when it is back.
    this.client.connect().catch((error: unknown) => this.logger.warn({ err: error }, 'RabbitMQ is not reachable yet'));
  }

  isConnected(): boolean {
    return this.connected;
  }

  /** Resolves once RabbitMQ has confirmed the message. */
  async publish(request: IdentifiedRequest): Promise<void> {
    const message = new RmqRecordBuilder(request)
      .setOptions({
        messageId: request.id,
        persistent: true,
        contentType: 'application/json',
        headers: { [RECORDED_HEADER]: 'true' },
        timeout: this.config.PUBLISH_TIMEOUT_MS,
      } as never)
      .build();
    await lastValueFrom(this.client.emit(WORK_REQUEST_PATTERN, message), { defaultValue: undefined });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
