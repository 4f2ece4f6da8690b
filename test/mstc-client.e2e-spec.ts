import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { AMQP_URL, eventually, pythonTestImage, TestSystem } from './support/system.js';

/** What an MSTC client does, over the names MSTC clients know. */
describe('an MSTC client talking straight to RabbitMQ', () => {
  let system: TestSystem;
  const deadLetters: amqp.ConsumeMessage[] = [];

  beforeAll(async () => {
    system = await TestSystem.start({ names: 'mstc', api: false, sim: { images: pythonTestImage(0.2) } });
    await system.channel.consume(system.names.deadLetterQueue, (message) => message && deadLetters.push(message), { noAck: true });
  });
  afterAll(() => system?.stop());

  it('declares the work queue as pika does (durable, no arguments) while the worker runs', async () => {
    const connection = await amqp.connect(AMQP_URL);
    const channel = await connection.createChannel();
    const closed = new Promise((resolve) => channel.on('close', resolve));
    await expect(channel.assertQueue('mstc.queue.work', { durable: true })).resolves.toMatchObject({ queue: 'mstc.queue.work' });
    await channel.checkQueue('mstc.queue.work');
    await connection.close();
    await closed;
  });

  it('runs a raw JSON request and replies with the unique Job name as the second word', async () => {
    const { queue, replies } = await system.replyQueue();
    const correlationId = randomUUID();
    const prefix = String(Date.now());
    system.publishWork({ image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'test.inputs', prefix }, { replyTo: queue, correlationId });

    const reply = await eventually(() => replies.find((r) => r.correlationId === correlationId), 20_000, 'the reply');
    const jobName = String(reply.body.result).split(' ')[1];
    expect(reply.body.result).toBe(`Job ${jobName} complete.`);
    expect(jobName).toMatch(/^test-job-[0-9a-f-]{36}$/);
    // Without an id or message_id, the request takes its UUID correlation id.
    expect(jobName).toBe(`test-job-${correlationId}`);
    expect(reply.body).toMatchObject({ id: correlationId, jobName, status: 'succeeded', exitCode: 0, outputBucket: 'test.inputs', logObject: `${prefix}-${jobName}.log` });
    expect(await system.objectText('test.inputs', `${prefix}-${jobName}.log`)).toContain('SUCCESS');
  });

  it('takes a Nest envelope and a message sent to the queue by name', async () => {
    const { queue, replies } = await system.replyQueue();
    const viaEnvelope = randomUUID();
    const viaQueue = randomUUID();
    system.publishWork({ pattern: 'mstc.work.request', data: { image: 'mstc/python-test', jobName: 'enveloped', inputBucket: 'test.inputs' } }, { replyTo: queue, correlationId: viaEnvelope });
    system.channel.sendToQueue('mstc.queue.work', Buffer.from(JSON.stringify({ image: 'mstc/python-test', jobName: 'by-name', inputBucket: 'test.inputs' })), {
      replyTo: queue,
      correlationId: viaQueue,
      persistent: true,
    });
    const replied = await eventually(() => replies.length >= 2 && replies, 20_000, 'both replies');
    expect(replied.map((r) => [r.correlationId, r.body.status])).toEqual(
      expect.arrayContaining([
        [viaEnvelope, 'succeeded'],
        [viaQueue, 'succeeded'],
      ]),
    );
  });

  it.each([
    ['a missing field', { image: 'mstc/python-test', jobName: 'test-job' }, 'inputBucket is required'],
    ['a bad jobName', { image: 'mstc/python-test', jobName: 'Bad_Name', inputBucket: 'test.inputs' }, 'lowercase RFC 1123 label'],
    ['a negative timeOut', { image: 'mstc/python-test', jobName: 'x', inputBucket: 'test.inputs', timeOut: -1 }, 'timeOut must be 0 or more minutes'],
    ['a body that is not JSON', '{"image": "mstc/python-test", ', 'the message body is not JSON'],
  ])('dead-letters %s with the reason, answers it, and runs the next message', async (_case, body, reason) => {
    const { queue, replies } = await system.replyQueue();
    const bad = randomUUID();
    const good = randomUUID();
    system.publishWork(body, { replyTo: queue, correlationId: bad, messageId: bad });
    system.publishWork({ image: 'mstc/python-test', jobName: 'after-bad', inputBucket: 'test.inputs' }, { replyTo: queue, correlationId: good });

    const rejected = await eventually(() => deadLetters.find((m) => m.properties.messageId === bad), 10_000, 'the dead letter');
    expect(String(rejected.properties.headers?.['x-cloud-worker-rejection'])).toContain(reason);
    expect(rejected.content.toString()).toBe(typeof body === 'string' ? body : JSON.stringify(body));
    const rejection = await eventually(() => replies.find((r) => r.correlationId === bad), 10_000, 'the rejection reply');
    expect(rejection.body).toMatchObject({ status: 'rejected' });
    expect(String(rejection.body.reason)).toContain(reason);
    const next = await eventually(() => replies.find((r) => r.correlationId === good), 20_000, 'the next reply');
    expect(next.body.status).toBe('succeeded');
  });
});
