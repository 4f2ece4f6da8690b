import { Counter, type Registry } from 'prom-client';
import type { AmqpPublisher } from './amqp-publisher.js';

/** `cloud_worker_amqp_reconnects_total`, alike in both apps, counting the reconnects of their publisher connection. */
export function countReconnects(registry: Registry, publisher: AmqpPublisher): void {
  const reconnects = new Counter({ name: 'cloud_worker_amqp_reconnects_total', help: 'Reconnections to RabbitMQ, by connection.', labelNames: ['connection'], registers: [registry] });
  publisher.onReconnect(() => reconnects.inc({ connection: 'publisher' }));
}
