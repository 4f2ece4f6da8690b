import { RECORDED_HEADER } from '@app/contracts';
import type { Channel, ConsumeMessage } from 'amqplib';

/**
 * One delivery of a work queue message, held unacknowledged until its Job has ended and been answered. The
 * RabbitMQ handle stays in here and in the answers (replies, dead letters): the Job's state never holds it.
 */
export interface Delivery {
  /** The message as it came, for the dead-letter queue. */
  readonly message: Pick<ConsumeMessage, 'content' | 'fields' | 'properties'>;
  readonly replyTo?: string;
  readonly correlationId?: string;
  /** RabbitMQ delivered it before, to a consumer that went away without acknowledging it. */
  readonly redelivered: boolean;
  /** Its publisher (the api) created the request's record before publishing it (`RECORDED_HEADER`). */
  readonly recorded: boolean;
  /** False once its channel has closed: RabbitMQ then delivers the message again, here or elsewhere. */
  isLive(): boolean;
  ack(): void;
}

const closedChannels = new WeakSet<Channel>();
const watchedChannels = new WeakSet<Channel>();

export class RmqDelivery implements Delivery {
  readonly replyTo?: string;
  readonly correlationId?: string;
  readonly redelivered: boolean;
  readonly recorded: boolean;
  private settled = false;

  constructor(
    readonly message: ConsumeMessage,
    private readonly channel: Channel,
  ) {
    this.replyTo = message.properties.replyTo || undefined;
    this.correlationId = message.properties.correlationId || undefined;
    this.redelivered = message.fields.redelivered;
    this.recorded = message.properties.headers?.[RECORDED_HEADER] === 'true';
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
}
