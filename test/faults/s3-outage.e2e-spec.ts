import { afterAll, describe, it } from '@jest/globals';
import { eventually, napImages, NAMESPACE, TestSystem } from '../support/system.js';
import { WorkLedger } from '../support/work-ledger.js';

const RESYNC_SECONDS = 3;
const OUTAGE_MS = 20_000;

describe('the S3 store away', () => {
  let system: TestSystem | undefined;
  afterAll(() => system?.stop());

  it('for 20 s while Jobs complete: every request ends with its real log', async () => {
    system = await TestSystem.start({
      workers: 2,
      api: false,
      proxy: { s3: true },
      // The grace is longer than the outage, as ORPHAN_GRACE_SECONDS must be longer than a worker can be held up
      // (README). A write the store made as the connection was cut is recognised by its writer (`learnRecord` in
      // job-reconciler.service.ts): before that, both workers announced such an end once the grace was over.
      env: { CONCURRENCY: '20', JOB_TTL_SECONDS: '2', RESYNC_SECONDS: String(RESYNC_SECONDS), RETRY_BASE_DELAY_MS: '100', RETRY_MAX_DELAY_MS: '2000', ORPHAN_GRACE_SECONDS: '60' },
      sim: { images: napImages({ 'nap/1s': 1000, 'nap/2s': 2000, 'nap/3s': 3000 }) },
    });
    const ledger = await WorkLedger.open(system, {
      request: { image: 'nap/1s', jobName: 'blackout', inputBucket: 'blackout.outputs' },
      expect: { status: 'succeeded', reason: null, log: 'Exiting with code 0' },
    });
    const images = ['nap/1s', 'nap/2s', 'nap/3s'];
    for (let i = 0; i < 30; i++) ledger.publish({ image: images[i % 3] });
    await eventually(() => system!.createdJobs().length === 30 && ledger.replies.length > 0, 60_000, 'thirty Jobs, a first end');

    system.s3Proxy.cut();
    const cutAt = Date.now();
    // More requests arrive meanwhile; they can have no record until the store is back.
    for (let i = 0; i < 5; i++) ledger.publish();
    await eventually(() => system!.sim.list('jobs', NAMESPACE).every((job) => job.status?.completionTime), 40_000, 'every Job to complete');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, cutAt + OUTAGE_MS - Date.now())));
    system.s3Proxy.restore();

    await ledger.untilEnded(60_000);
    await ledger.expectSettled({ quietMs: RESYNC_SECONDS * 1000 });
  }, 150_000);
});
