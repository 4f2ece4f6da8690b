/** RabbitMQ names shared by MSTC clients, the api and the worker; each can be overridden by configuration. */
export const DEFAULT_WORK_EXCHANGE = 'mstc.exchange';
export const DEFAULT_WORK_QUEUE = 'mstc.queue.work';
export const DEFAULT_DEAD_LETTER_QUEUE = 'mstc.queue.work.dead-letter';
export const DEFAULT_RESULTS_EXCHANGE = 'mstc.results';
export const DEFAULT_CONTROL_EXCHANGE = 'mstc.control';

/** The Nest message pattern of a work request; raw MSTC messages are mapped onto it by the worker. */
export const WORK_REQUEST_PATTERN = 'mstc.work.request';
/** The pattern the worker's deserializer gives a message it cannot read, so that it is dead-lettered, not dropped. */
export const UNREADABLE_MESSAGE_PATTERN = 'mstc.work.unreadable';
/** Routing key of a cancel command on the control exchange. */
export const CANCEL_COMMAND = 'job.cancel';

/**
 * Header the api sets on the work messages it publishes: the request's record exists already, so the worker reads
 * it rather than trying to create it (a message sent straight to RabbitMQ has none, and its record is created).
 */
export const RECORDED_HEADER = 'x-cloud-worker-recorded';

/** Header of a dead-lettered message that says why it was rejected. */
export const DEAD_LETTER_REASON_HEADER = 'x-cloud-worker-rejection';

/** Routing key of a result event: `job.<status>`. */
export function resultRoutingKey(status: string): string {
  return `job.${status}`;
}
