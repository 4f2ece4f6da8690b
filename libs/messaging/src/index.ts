export * from './amqp-publisher.js';
export * from './result-events.js';
export * from './topology.js';
export * from './messaging.module.js';
export * from './reconnect-metric.js';
