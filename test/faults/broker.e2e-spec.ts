import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ApiClient } from '../support/http.js';
import { eventually, napImages, NAMESPACE, TestSystem } from '../support/system.js';
import { WorkLedger } from '../support/work-ledger.js';

const RESYNC_SECONDS = 3;
const OUTAGE_MS = 20_000;
const PUBLISH_TIMEOUT_MS = 2000;
/** An answer from the api within this, or it hangs. */
const ANSWER_WITHIN_MS = PUBLISH_TIMEOUT_MS + 5000;
const ENV = {
  CONCURRENCY: '10',
  JOB_TTL_SECONDS: '2',
  RESYNC_SECONDS: String(RESYNC_SECONDS),
  PUBLISH_TIMEOUT_MS: String(PUBLISH_TIMEOUT_MS),
  RETRY_BASE_DELAY_MS: '100',
  RETRY_MAX_DELAY_MS: '2000',
};
const IMAGES = napImages({ 'nap/1s': 1000, 'nap/2s': 2000, 'nap/3s': 3000 });
const SUCCEEDED = { status: 'succeeded', reason: null, log: 'Exiting with code 0' } as const;

describe('RabbitMQ away', () => {
  let system: TestSystem | undefined;
  afterEach(() => system?.stop());

  it('for 20 s mid-run: POST /jobs answers 503 (never 500, never hangs), and every request accepted before or after ends', async () => {
    system = await TestSystem.start({ workers: 2, proxy: { amqp: true }, env: ENV, sim: { images: IMAGES } });
    const api = new ApiClient(() => system!.apiUrl);
    const ledger = await WorkLedger.open(system, { request: { image: 'nap/2s', jobName: 'outage', inputBucket: 'outage.outputs' }, expect: SUCCEEDED });
    for (let i = 0; i < 10; i++) expect((await ledger.submit(api, {}, undefined, ANSWER_WITHIN_MS)).status).toBe(202);
    for (let i = 0; i < 10; i++) ledger.publish();
    await eventually(() => system!.runningPods('outage-') >= 10, 15_000, 'Jobs running');

    system.amqpProxy.cut();
    const cutAt = Date.now();
    const refused = new Map<string, number | string>();
    while (Date.now() - cutAt < OUTAGE_MS) {
      const id = randomUUID();
      const answer = await ledger.submit(api, { id }, undefined, ANSWER_WITHIN_MS).then(
        (a) => a.status,
        (error: Error) => `no answer (${error.name})`,
      );
      refused.set(id, answer);
      // Requests straight to the broker (the test's own connection) wait in the queue meanwhile.
      if (refused.size % 5 === 0) ledger.publish({ image: 'nap/1s' });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    system.amqpProxy.restore();

    expect(refused.size).toBeGreaterThan(5);
    expect(new Set(refused.values())).toEqual(new Set([503]));
    // A refused request leaves nothing behind.
    for (const id of refused.keys()) expect(await system.record(id)).toBeUndefined();

    await eventually(async () => (await ledger.submit(api, {}, undefined, ANSWER_WITHIN_MS)).status === 202, 30_000, 'the api to accept again', 500);
    for (let i = 0; i < 9; i++) expect((await ledger.submit(api, { image: 'nap/1s' }, undefined, ANSWER_WITHIN_MS)).status).toBe(202);
    await ledger.untilEnded(60_000);
    await ledger.expectSettled({ quietMs: RESYNC_SECONDS * 1000, atLeastOnce: true });
  }, 150_000);

  it('while Jobs complete: every end is still announced once its publish can go out', async () => {
    system = await TestSystem.start({ api: false, proxy: { amqp: true }, env: { ...ENV, CONCURRENCY: '30' }, sim: { images: IMAGES } });
    const ledger = await WorkLedger.open(system, { request: { image: 'nap/1s', jobName: 'unconfirmed', inputBucket: 'unconfirmed.outputs' }, expect: SUCCEEDED });
    const images = ['nap/1s', 'nap/2s', 'nap/3s'];
    for (let i = 0; i < 30; i++) ledger.publish({ image: images[i % 3] });
    // Every Job runs and the first ends are out: the rest complete while the worker cannot publish.
    await eventually(() => system!.createdJobs().length === 30 && ledger.events.some((event) => event.routingKey === 'job.succeeded'), 30_000, 'thirty Jobs, a first end');
    system.amqpProxy.cut();
    await eventually(() => system!.sim.list('jobs', NAMESPACE).every((job) => job.status?.completionTime), 20_000, 'every Job to complete');
    // The worker stores their logs and records meanwhile; the publishes that follow fail. (A worker that waits
    // for RabbitMQ before it writes the record is no worse: the wait is bounded.)
    await eventually(async () => {
      const records = await Promise.all([...ledger.tracked.keys()].map((id) => system!.record(id)));
      return records.every((record) => record?.status === 'succeeded');
    }, 15_000, 'the records to end while RabbitMQ is away', 250).catch(() => undefined);
    system.amqpProxy.restore();

    await ledger.untilEnded(60_000);
    await ledger.expectSettled({ quietMs: RESYNC_SECONDS * 1000, atLeastOnce: true });
  }, 150_000);

  it('a reply queue gone before its Job ends: the job still ends, and the other requests are answered', async () => {
    system = await TestSystem.start({ api: false, env: ENV, sim: { images: IMAGES } });
    const ledger = await WorkLedger.open(system, { request: { image: 'nap/1s', jobName: 'orphaned', inputBucket: 'orphaned.outputs' }, expect: SUCCEEDED });
    const { queue: doomedQueue } = await system.channel.assertQueue('', { exclusive: true, autoDelete: true });
    for (let i = 0; i < 3; i++) ledger.publish();
    const doomed = ledger.publish({ image: 'nap/2s' }, undefined, { replyTo: doomedQueue });
    for (let i = 0; i < 3; i++) ledger.publish();
    await eventually(() => system!.runningPods(`orphaned-${doomed}`) === 1, 15_000, 'its Job to run');
    await system.channel.deleteQueue(doomedQueue);

    await eventually(async () => (await system!.record(doomed))?.status === 'succeeded', 20_000, 'the job to end', 250);
    // The worker keeps working afterwards.
    for (let i = 0; i < 3; i++) ledger.publish();
    await ledger.untilEnded(30_000);
    await ledger.expectSettled({ quietMs: RESYNC_SECONDS * 1000 });
  }, 90_000);
});
