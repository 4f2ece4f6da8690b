import { describe, expect, it } from '@jest/globals';
import { readWorkPacket, requestIdOf } from './work-message.js';

const request = { image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'test.inputs' };

describe('readWorkPacket', () => {
  it('takes a raw work request, as MSTC clients send it', () => {
    expect(readWorkPacket(request)).toEqual({ pattern: 'mstc.work.request', data: { body: request } });
  });

  it('unwraps a Nest envelope', () => {
    expect(readWorkPacket({ pattern: 'mstc.work.request', data: request })).toEqual({ pattern: 'mstc.work.request', data: { body: request } });
  });

  it('marks a body that is not JSON as unreadable', () => {
    expect(readWorkPacket('{"image": ')).toEqual({ pattern: 'mstc.work.unreadable', data: { unreadable: 'the message body is not JSON' } });
  });

  it('marks an envelope with another pattern as unreadable', () => {
    expect(readWorkPacket({ pattern: 'something.else', data: {} })).toEqual({
      pattern: 'mstc.work.unreadable',
      data: { unreadable: 'unknown message pattern "something.else"' },
    });
  });

  it('leaves JSON that is not an object to validation, which names the problem', () => {
    expect(readWorkPacket([1, 2])).toEqual({ pattern: 'mstc.work.request', data: { body: [1, 2] } });
  });
});

describe('requestIdOf', () => {
  const a = '3f1c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11';
  const b = '0c7d0a5e-1b1b-4d4e-8f8f-9a9a9a9a9a9a';
  const c = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

  it('prefers the id field, then message_id, then a UUID correlation_id', () => {
    expect(requestIdOf({ id: a }, { messageId: b, correlationId: c })).toBe(a);
    expect(requestIdOf({}, { messageId: b, correlationId: c })).toBe(b);
    expect(requestIdOf({}, { correlationId: c })).toBe(c);
  });

  it('derives a stable UUID from a message_id that is not one', () => {
    const first = requestIdOf({}, { messageId: 'order-42' });
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(requestIdOf({}, { messageId: 'order-42' })).toBe(first);
    expect(requestIdOf({}, { messageId: 'order-43' })).not.toBe(first);
  });

  it('ignores a correlation_id that is not a UUID and makes a fresh id', () => {
    const id = requestIdOf({}, { correlationId: 'not-a-uuid' });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf({}, { correlationId: 'not-a-uuid' })).not.toBe(id);
  });
});
