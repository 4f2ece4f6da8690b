import type { Channel, ConsumeMessage } from 'amqplib';

/** One delivery of a work queue message, held unacknowledged until its Job has ended and been answered. */
export interface Delivery {
  readonly replyTo?: string;
  readonly correlationId?: string;
  /** False once its channel has closed: RabbitMQ then delivers the message again, here or elsewhere. */
  isLive(): boolean;
  ack(): void;
  /** Returns the message to the queue after a pause, so that a failing dependency is not hammered. */
  requeueLater(delayMs: number): void;
}

const closedChannels = new WeakSet<Channel>();
const watchedChannels = new WeakSet<Channel>();

export class RmqDelivery implements Delivery {
  readonly replyTo?: string;
  readonly correlationId?: string;
  private settled = false;

  constructor(
    private readonly message: ConsumeMessage,
    private readonly channel: Channel,
  ) {
    this.replyTo = message.properties.replyTo || undefined;
    this.correlationId = message.properties.correlationId || undefined;
    if (!watchedChannels.has(channel)) {
      watchedChannels.add(channel);
      channel.once('close', () => closedChannels.add(channel));
    }
  }

  isLive(): boolean {
    return !this.settled && !closedChannels.has(this.channel);
  }

  ack(): void {
    if (!this.isLive()) return;
    this.settled = true;
    this.channel.ack(this.message);
  }

  requeueLater(delayMs: number): void {
    setTimeout(() => {
      if (!this.isLive()) return;
      this.settled = true;
      this.channel.nack(this.message, false, true);
    }, delayMs).unref();
  }
}
