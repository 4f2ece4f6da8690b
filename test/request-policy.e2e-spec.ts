import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FieldProblem, JobRecord } from '@app/contracts';
import { randomUUID } from 'node:crypto';
import type { AppProcess } from '../tools/local-stack/app-process.js';
import { ApiClient } from './support/http.js';
import { eventually, pythonTestImage, TestSystem, type DeadLetter } from './support/system.js';

interface Refusal {
  message: string;
  errors: FieldProblem[];
}

const ALLOWED = 'harbor.example.org/mstc/*, mstc/*';

/** The audit entry an app logged about a request. */
async function auditOf(app: AppProcess, id: string): Promise<unknown> {
  return (await app.waitForLog((line) => (line.audit as { id?: string } | undefined)?.id === id)).audit;
}

/**
 * What may run (issue 12): the image policy, object names that stay in their bucket, and the records bucket kept
 * out of requests, at both doors: the api answers 400, the worker dead-letters and replies. Nothing is stored or
 * created for a refused request.
 */
describe('the request policy', () => {
  let system: TestSystem;
  let api: ApiClient;
  let deadLetters: DeadLetter[];

  beforeAll(async () => {
    system = await TestSystem.start({ env: { ALLOWED_IMAGES: ALLOWED }, sim: { images: pythonTestImage(0.2) } });
    api = new ApiClient(() => system.apiUrl);
    deadLetters = await system.deadLetters();
  });
  afterAll(() => system?.stop());

  /** Shows that nothing of a refused request exists once a request sent after it has run to its end. */
  async function nothingStoredFor(id: string, jobName: string, after: () => Promise<unknown>): Promise<void> {
    await after();
    expect(await system.record(id)).toBeUndefined();
    expect((await api.request('GET', `/jobs/${id}`)).status).toBe(404);
    expect(system.createdJobs(`${jobName}-`)).toEqual([]);
    expect((await system.objectNames('policy.inputs')).filter((name) => name.includes(jobName))).toEqual([]);
  }

  /** Submits an allowed request over HTTP and waits for it to succeed. */
  async function runsOverHttp(jobName: string): Promise<JobRecord> {
    const { status, body } = await api.submit({ image: 'mstc/python-test', jobName, inputBucket: 'policy.inputs' });
    expect(status).toBe(202);
    return api.untilStatus(body.id, ['succeeded']);
  }

  /** Publishes a request as an MSTC client does and waits for its reply. */
  async function publishAndAwaitReply(body: Record<string, unknown>, properties: { userId?: string } = {}): Promise<{ id: string; reply: Record<string, unknown> }> {
    const { queue, replies } = await system.replyQueue();
    const id = randomUUID();
    system.publishWork(body, { replyTo: queue, correlationId: id, messageId: id, ...properties });
    const reply = await eventually(() => replies.find((r) => r.correlationId === id), 20_000, 'the reply');
    return { id, reply: reply.body };
  }

  describe('over HTTP', () => {
    it('refuses an image that ALLOWED_IMAGES does not permit with 400 naming the rule, and audits it', async () => {
      const id = randomUUID();
      const answer = await api.submit({ id, image: 'evil/miner', jobName: 'http-miner', inputBucket: 'policy.inputs' });
      const reason = `image "evil/miner" (docker.io/evil/miner) is not allowed: ALLOWED_IMAGES permits ${ALLOWED}`;
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ message: `Invalid work request: ${reason}`, errors: [{ field: 'image', rule: 'allowedImages', message: reason }] });
      expect(await auditOf(system.api!, id)).toEqual({ action: 'deny', owner: null, source: 'http', id, image: 'evil/miner', reason, status: 400 });
      await nothingStoredFor(id, 'http-miner', () => runsOverHttp('http-after-miner'));
    });

    it('runs an image that ALLOWED_IMAGES permits, however it is spelled', async () => {
      const { status, body } = await api.submit({ image: 'docker.io/mstc/python-test', jobName: 'http-allowed', inputBucket: 'policy.inputs' });
      expect(status).toBe(202);
      expect(await api.untilStatus(body.id)).toMatchObject({ status: 'succeeded', request: { image: 'docker.io/mstc/python-test' } });
    });

    it('refuses a prefix that climbs out and the records bucket, naming each field, and stores nothing', async () => {
      const id = randomUUID();
      const answer = await api.submit({ id, image: 'mstc/python-test', jobName: 'http-climb', inputBucket: 'policy.inputs', outputBucket: system.names.recordsBucket, prefix: '../../etc' });
      expect(answer.status).toBe(400);
      expect((answer.body as unknown as Refusal).errors).toEqual([
        { field: 'outputBucket', rule: 'recordsBucket', message: `outputBucket must not be ${system.names.recordsBucket}: it holds the job records (RECORDS_BUCKET)` },
        { field: 'prefix', rule: 'objectNamePrefix', message: 'prefix must not have "." or ".." segments' },
      ]);
      const asInput = await api.submit({ image: 'mstc/python-test', jobName: 'http-records', inputBucket: system.names.recordsBucket });
      expect(asInput.status).toBe(400);
      expect((asInput.body as unknown as Refusal).errors.map((p) => [p.field, p.rule])).toEqual([['inputBucket', 'recordsBucket']]);
      await nothingStoredFor(id, 'http-climb', () => runsOverHttp('http-after-climb'));
      expect(system.createdJobs('http-records-')).toEqual([]);
    });
  });

  describe('over AMQP', () => {
    it('dead-letters a denied image with the reason, replies with it, and audits the owner RabbitMQ vouched for', async () => {
      const { id, reply } = await publishAndAwaitReply({ image: 'evil/miner', jobName: 'amqp-miner', inputBucket: 'policy.inputs' }, { userId: 'guest' });
      const reason = `image "evil/miner" (docker.io/evil/miner) is not allowed: ALLOWED_IMAGES permits ${ALLOWED}`;
      expect(reply).toMatchObject({ id, status: 'rejected', reason: `Invalid work request: ${reason}`, errors: [{ field: 'image', rule: 'allowedImages', message: reason }] });
      const letter = await eventually(() => deadLetters.find((l) => l.properties.messageId === id), 10_000, 'the dead letter');
      expect(letter.reason).toBe(`Invalid work request: ${reason}`);
      expect(await auditOf(system.workers[0]!, id)).toEqual({ action: 'deny', owner: 'guest', source: 'amqp', id, image: 'evil/miner', reason: `Invalid work request: ${reason}` });
      await nothingStoredFor(id, 'amqp-miner', () => publishAndAwaitReply({ image: 'mstc/python-test', jobName: 'amqp-after-miner', inputBucket: 'policy.inputs' }).then(({ reply }) => expect(reply.status).toBe('succeeded')));
    });

    it('runs an allowed image for an MSTC client', async () => {
      const { id, reply } = await publishAndAwaitReply({ image: 'mstc/python-test', jobName: 'amqp-allowed', inputBucket: 'policy.inputs', prefix: 'runs/2026/run-1' });
      expect(reply).toMatchObject({ id, status: 'succeeded', logObject: `runs/2026/run-1-amqp-allowed-${id}.log` });
      expect(await system.objectText('policy.inputs', `runs/2026/run-1-amqp-allowed-${id}.log`)).toContain('SUCCESS');
    });

    it('dead-letters a climbing prefix and the records bucket with the reasons, and creates nothing, under the default owner', async () => {
      const { id, reply } = await publishAndAwaitReply({ image: 'mstc/python-test', jobName: 'amqp-climb', inputBucket: system.names.recordsBucket, prefix: 'a/../../../b' });
      const reason = `Invalid work request: inputBucket must not be ${system.names.recordsBucket}: it holds the job records (RECORDS_BUCKET); prefix must not have "." or ".." segments`;
      expect(reply).toMatchObject({ id, status: 'rejected', reason });
      expect((reply.errors as FieldProblem[]).map((p) => [p.field, p.rule])).toEqual([
        ['inputBucket', 'recordsBucket'],
        ['prefix', 'objectNamePrefix'],
      ]);
      expect((await eventually(() => deadLetters.find((l) => l.properties.messageId === id), 10_000, 'the dead letter')).reason).toBe(reason);
      expect(await auditOf(system.workers[0]!, id)).toMatchObject({ owner: 'mstc', source: 'amqp' });
      await nothingStoredFor(id, 'amqp-climb', () => publishAndAwaitReply({ image: 'mstc/python-test', jobName: 'amqp-after-climb', inputBucket: 'policy.inputs' }));
      expect(await system.objectNames(system.names.recordsBucket, 'b')).toEqual([]);
    });
  });
});
