import type { CommonConfig } from '@app/config';
import type { Channel } from 'amqplib';

export interface AmqpNames {
  workExchange: string;
  workQueue: string;
  deadLetterQueue: string;
  resultsExchange: string;
  controlExchange: string;
}

export function amqpNames(config: CommonConfig): AmqpNames {
  return {
    workExchange: config.WORK_EXCHANGE,
    workQueue: config.WORK_QUEUE,
    deadLetterQueue: config.DEAD_LETTER_QUEUE,
    resultsExchange: config.RESULTS_EXCHANGE,
    controlExchange: config.CONTROL_EXCHANGE,
  };
}

/** Work queue declaration as MSTC clients make it: durable, no arguments. Any argument would make their
 * `queue_declare(durable=True)` fail with 406 PRECONDITION_FAILED, so dead-lettering is done by the worker. */
export const WORK_QUEUE_OPTIONS = { durable: true } as const;

/** Every connection of both apps: a dead broker is noticed within seconds, and reconnecting starts at once. */
export const CONNECTION_OPTIONS = { heartbeatIntervalInSeconds: 10, reconnectTimeInSeconds: 1 } as const;

/**
 * Declares everything either app publishes to or consumes from. Declarations are idempotent, so both apps make
 * them at every (re)connect and neither depends on the other having started first.
 */
export async function assertTopology(channel: Channel, names: AmqpNames): Promise<void> {
  await channel.assertExchange(names.workExchange, 'direct', { durable: true });
  await channel.assertQueue(names.workQueue, WORK_QUEUE_OPTIONS);
  await channel.bindQueue(names.workQueue, names.workExchange, names.workQueue);
  await channel.assertQueue(names.deadLetterQueue, { durable: true });
  await channel.assertExchange(names.resultsExchange, 'topic', { durable: true });
  await channel.assertExchange(names.controlExchange, 'fanout', { durable: true });
}
