import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, Options } from 'amqplib';
import { assertTopology, CONNECTION_OPTIONS, type AmqpNames } from './topology.js';

export class PublishUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`RabbitMQ did not confirm the message: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'PublishUnavailableError';
  }
}

export interface AmqpPublisherOptions {
  url: string;
  names: AmqpNames;
  /** A publish not confirmed by then fails instead of waiting for the broker to come back. */
  publishTimeoutMs: number;
}

/**
 * Publishes persistent JSON messages on a confirm channel of its own connection and resolves only once
 * RabbitMQ has confirmed them. A connection of its own, because RabbitMQ applies flow control per connection:
 * a publisher slowed down by the broker must not stall the consumer of the same process.
 */
export class AmqpPublisher {
  private readonly connection: AmqpConnectionManager;
  private readonly channel: ChannelWrapper;
  private connects = 0;
  private readonly reconnectListeners = new Set<() => void>();

  constructor(options: AmqpPublisherOptions) {
    this.connection = amqp.connect([options.url], CONNECTION_OPTIONS);
    this.connection.on('connect', () => {
      if (this.connects++ > 0) for (const listener of this.reconnectListeners) listener();
    });
    this.channel = this.connection.createChannel({
      name: 'publisher',
      confirm: true,
      json: false,
      publishTimeout: options.publishTimeoutMs,
      setup: (channel: ConfirmChannel) => assertTopology(channel, options.names),
    });
  }

  /** Called on every connect after the first. */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.add(listener);
  }

  isConnected(): boolean {
    return this.connection.isConnected();
  }

  publish(exchange: string, routingKey: string, body: unknown, options: Options.Publish = {}): Promise<void> {
    return this.send(() => this.channel.publish(exchange, routingKey, encode(body), withDefaults(options)));
  }

  sendToQueue(queue: string, body: unknown, options: Options.Publish = {}): Promise<void> {
    return this.send(() => this.channel.sendToQueue(queue, encode(body), withDefaults(options)));
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => undefined);
    await this.connection.close();
  }

  private async send(publish: () => Promise<unknown>): Promise<void> {
    if (!this.isConnected()) throw new PublishUnavailableError('not connected');
    try {
      await publish();
    } catch (error) {
      throw new PublishUnavailableError(error);
    }
  }
}

/** Buffers go out as they are (a dead-lettered message keeps its original bytes); anything else as JSON. */
function encode(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
}

function withDefaults(options: Options.Publish): Options.Publish {
  return { persistent: true, contentType: 'application/json', timestamp: Math.floor(Date.now() / 1000), ...options };
}
