import { afterAll, describe, expect, it } from '@jest/globals';
import { TestSystem } from '../support/system.js';
import { WorkLedger } from '../support/work-ledger.js';

/** Short enough for a test to watch a whole period for anything more happening. */
const RESYNC_SECONDS = 3;
const REQUESTS = 1000;

describe('a thousand requests across two workers', () => {
  let system: TestSystem | undefined;
  afterAll(() => system?.stop());

  it('runs each once: every reply, log, Job and terminal event, nothing twice', async () => {
    system = await TestSystem.start({
      workers: 2,
      api: false,
      env: { CONCURRENCY: '50', RESYNC_SECONDS: String(RESYNC_SECONDS), JOB_TTL_SECONDS: '2' },
    });
    const ledger = await WorkLedger.open(system, {
      request: { image: 'kube-sim/sleep-exit', jobName: 'scale', inputBucket: 'scale.outputs' },
      expect: { status: 'succeeded', reason: null, log: 'Exiting with code 0' },
    });
    for (let i = 0; i < REQUESTS; i++) ledger.publish();

    await ledger.untilEnded(150_000);
    await ledger.expectSettled({ quietMs: RESYNC_SECONDS * 1000 });
    expect(await system.objectNames('scale.outputs')).toHaveLength(REQUESTS);
    // Both workers took a share.
    for (const worker of system.workers) expect(worker.lines.some((line) => line.jobName)).toBe(true);
  }, 240_000);
});
