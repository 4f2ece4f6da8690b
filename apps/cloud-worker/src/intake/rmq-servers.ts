import { WorkerConfig } from '@app/config';
import { CONNECTION_OPTIONS, WORK_QUEUE_OPTIONS } from '@app/messaging';
import { ServerRMQ } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { WorkMessageDeserializer } from './work-message.deserializer.js';

/** Injection tokens of the two RabbitMQ consumers, so that health checks can ask them how they are. */
export const WORK_SERVER = Symbol('WORK_SERVER');
export const CONTROL_SERVER = Symbol('CONTROL_SERVER');

/**
 * Transport ids binding each handler to its own consumer (Nest routes a handler without one to every server):
 * work requests come only from the work queue, commands only from the control exchange.
 */
export const WORK_TRANSPORT = Symbol('work-queue');
export const CONTROL_TRANSPORT = Symbol('control-exchange');

/**
 * The work queue consumer: manual acknowledgements, and a prefetch equal to the concurrency, so that RabbitMQ
 * never hands this worker more requests than it runs at once. The queue is bound to the MSTC exchange by its
 * own name, and declared as MSTC clients declare it (durable, no arguments).
 */
export function workServer(config: WorkerConfig): ServerRMQ {
  const server = new ServerRMQ({
    urls: [config.AMQP_URL],
    queue: config.WORK_QUEUE,
    queueOptions: WORK_QUEUE_OPTIONS,
    exchange: config.WORK_EXCHANGE,
    exchangeType: 'direct',
    routingKey: config.WORK_QUEUE,
    noAck: false,
    prefetchCount: config.CONCURRENCY,
    deserializer: new WorkMessageDeserializer(),
    socketOptions: CONNECTION_OPTIONS,
  });
  server.setTransportId(WORK_TRANSPORT);
  return server;
}

/** Commands for every worker (cancel): a private, self-deleting queue bound to the control fanout exchange. */
export function controlServer(config: WorkerConfig): ServerRMQ {
  const server = new ServerRMQ({
    urls: [config.AMQP_URL],
    queue: `${config.CONTROL_EXCHANGE}.${config.WORKER_ID}.${randomUUID().slice(0, 8)}`,
    queueOptions: { exclusive: true, autoDelete: true, durable: false },
    exchange: config.CONTROL_EXCHANGE,
    exchangeType: 'fanout',
    noAck: true,
    socketOptions: CONNECTION_OPTIONS,
  });
  server.setTransportId(CONTROL_TRANSPORT);
  return server;
}
