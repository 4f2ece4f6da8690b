import { ApiConfig } from '@app/config';
import { JOB_STATUSES, type JobRecord } from '@app/contracts';
import { CONNECTION_OPTIONS } from '@app/messaging';
import { ROOT_LOGGER, type Logger } from '@app/observability';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import { EventRing, recordEvent, type RecordEvent } from './sse.js';

/**
 * Every record change, from the results exchange: the api's own exclusive queue bound to `job.#` (declared anew
 * on each reconnect; what is published while the api is disconnected is not seen, which a client resuming with a
 * Last-Event-ID the ring no longer holds learns by a `reset`). Keeps the recent ones for replays.
 */
@Injectable()
export class ResultFeed implements OnModuleInit, OnApplicationShutdown {
  private connection: AmqpConnectionManager | undefined;
  private channel: ChannelWrapper | undefined;
  private readonly listeners = new Set<(event: RecordEvent) => void>();
  private readonly ring: EventRing;

  constructor(
    @Inject(ApiConfig) private readonly config: ApiConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.ring = new EventRing(config.SSE_REPLAY_EVENTS);
  }

  onModuleInit(): void {
    this.connection = amqp.connect([this.config.AMQP_URL], CONNECTION_OPTIONS);
    this.connection.on('connectFailed', ({ err }) => this.logger.warn({ err }, 'RabbitMQ is not reachable; no live events until it is'));
    this.channel = this.connection.createChannel({ name: 'result-feed', json: false, setup: (channel: Channel) => this.setup(channel) });
    // A setup the broker refuses is said, not thrown: an unheard 'error' would end the process; it is tried again on the next connect.
    this.channel.on('error', (error: unknown) => this.logger.warn({ err: error }, 'could not subscribe to the results exchange; no live events until the next connect'));
  }

  /** Calls `listener` with each new event until the returned function is called. */
  subscribe(listener: (event: RecordEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The events held after the one with this id, or undefined when it is not held. */
  after(id: string): RecordEvent[] | undefined {
    return this.ring.after(id);
  }

  async onApplicationShutdown(): Promise<void> {
    this.listeners.clear();
    await this.channel?.close().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
  }

  private async setup(channel: Channel): Promise<void> {
    await channel.assertExchange(this.config.RESULTS_EXCHANGE, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, this.config.RESULTS_EXCHANGE, 'job.#');
    await channel.consume(queue, (message) => message && this.receive(message), { noAck: true });
  }

  private receive(message: ConsumeMessage): void {
    let record: JobRecord;
    try {
      record = JSON.parse(message.content.toString()) as JobRecord;
    } catch (error) {
      this.logger.warn({ err: error, routingKey: message.fields.routingKey }, 'a result event that is not JSON; ignored');
      return;
    }
    if (typeof record?.id !== 'string' || !JOB_STATUSES.includes(record.status)) return;
    const event = recordEvent(record);
    if (!this.ring.add(event)) return;
    for (const listener of this.listeners) listener(event);
  }
}
