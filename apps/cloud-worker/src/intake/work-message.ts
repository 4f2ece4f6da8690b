import { UNREADABLE_MESSAGE_PATTERN, WORK_REQUEST_PATTERN } from '@app/contracts';
import { createHash, randomUUID } from 'node:crypto';

/** What the deserializer hands the intake: the body of a work request, or why there is none. */
export type WorkMessage = { body: unknown } | { unreadable: string };

export interface WorkPacket {
  pattern: typeof WORK_REQUEST_PATTERN | typeof UNREADABLE_MESSAGE_PATTERN;
  data: WorkMessage;
}

/**
 * Reads a message of the work queue, as Nest's RMQ server hands it over (JSON already parsed, or the text when
 * it was not JSON). MSTC clients send the work request itself; Nest clients wrap it as `{ pattern, data }`.
 * Anything else is marked unreadable so that it is dead-lettered with the reason instead of being dropped.
 */
export function readWorkPacket(content: unknown): WorkPacket {
  if (typeof content === 'string') return unreadable('the message body is not JSON');
  if (isEnvelope(content)) {
    if (content.pattern !== WORK_REQUEST_PATTERN) return unreadable(`unknown message pattern ${JSON.stringify(content.pattern)}`);
    return { pattern: WORK_REQUEST_PATTERN, data: { body: content.data } };
  }
  return { pattern: WORK_REQUEST_PATTERN, data: { body: content } };
}

function isEnvelope(content: unknown): content is { pattern: unknown; data: unknown } {
  return typeof content === 'object' && content !== null && !Array.isArray(content) && 'pattern' in content && 'data' in content;
}

function unreadable(reason: string): WorkPacket {
  return { pattern: UNREADABLE_MESSAGE_PATTERN, data: { unreadable: reason } };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Namespace of the ids derived from message ids that are not UUIDs (a fixed, random UUID). */
const MESSAGE_ID_NAMESPACE = '7b1f4c52-2f6e-4f0a-9a53-8d6c1f0e2b77';

/**
 * A request's id (SPEC §3): its `id` field, else the AMQP message_id, else the correlation_id when it is a
 * UUID, else a fresh UUID. A message_id that is not a UUID is turned into one deterministically (UUID v5), so
 * that a redelivered message keeps its id, and with it its Job.
 */
export function requestIdOf(body: unknown, properties: { messageId?: unknown; correlationId?: unknown }): string {
  const fromBody = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined;
  if (typeof fromBody === 'string' && UUID.test(fromBody)) return fromBody.toLowerCase();
  const { messageId, correlationId } = properties;
  if (typeof messageId === 'string' && messageId !== '') return UUID.test(messageId) ? messageId.toLowerCase() : uuidV5(messageId, MESSAGE_ID_NAMESPACE);
  if (typeof correlationId === 'string' && UUID.test(correlationId)) return correlationId.toLowerCase();
  return randomUUID();
}

function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
