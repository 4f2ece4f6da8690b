import type { ConsumerDeserializer, IncomingEvent } from '@nestjs/microservices';
import { readWorkPacket } from './work-message.js';

/**
 * Nest's RMQ server hands every message to a deserializer before routing it by pattern. Its default expects
 * Nest's `{ pattern, data }` envelope and drops anything else; MSTC clients send the bare work request. This one
 * routes both to the work request handler and everything unreadable to the dead-letter handler.
 */
export class WorkMessageDeserializer implements ConsumerDeserializer {
  deserialize(value: unknown): IncomingEvent {
    return readWorkPacket(value);
  }
}
