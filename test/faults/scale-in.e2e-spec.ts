import { afterEach, describe, expect, it } from '@jest/globals';
import { eventually, napImages, TestSystem } from '../support/system.js';
import { WorkLedger } from '../support/work-ledger.js';

const RESYNC_SECONDS = 3;
const CONCURRENCY = 10;
const ENV = { CONCURRENCY: String(CONCURRENCY), JOB_TTL_SECONDS: '2', RESYNC_SECONDS: String(RESYNC_SECONDS) };
// Four workers' worth of requests, each long enough to be running when a worker is told to stop.
const REQUESTS = 4 * CONCURRENCY;
const IMAGES = napImages({ 'nap/5s': 5000 });

describe('a worker scaled in mid-run', () => {
  let system: TestSystem | undefined;
  afterEach(() => system?.stop());

  it('stopped with SIGTERM while its Jobs run and more requests wait: it leaves its Jobs to the other worker, and each request ends once, with its real log', async () => {
    system = await TestSystem.start({ workers: 2, api: false, env: ENV, sim: { images: IMAGES } });
    const ledger = await WorkLedger.open(system, {
      request: { image: 'nap/5s', jobName: 'scale-in', inputBucket: 'scale-in.outputs' },
      expect: { status: 'succeeded', reason: null, log: 'Exiting with code 0' },
    });
    for (let i = 0; i < REQUESTS; i++) ledger.publish();
    // More Jobs running than one worker runs at once: both workers hold requests, and the rest wait in the queue.
    await eventually(() => system!.runningPods('scale-in-') > CONCURRENCY, 20_000, 'both workers running Jobs');

    const [stopped] = system.workers;
    // What a scale-in does: SIGTERM, and the pod's grace period to stop in.
    expect(await stopped.kill('SIGTERM')).toBe(0);
    expect(stopped.lines.some((line) => line.jobName)).toBe(true);

    await ledger.untilEnded(60_000);
    await ledger.expectSettled({ quietMs: RESYNC_SECONDS * 1000 });
    expect(await system.objectNames('scale-in.outputs')).toHaveLength(REQUESTS);
  }, 120_000);
});
