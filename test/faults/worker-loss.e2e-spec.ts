import { afterEach, describe, expect, it } from '@jest/globals';
import { eventually, napImages, NAMESPACE, TestSystem } from '../support/system.js';
import { WorkLedger } from '../support/work-ledger.js';

const RESYNC_SECONDS = 3;
const TTL_SECONDS = 2;
const ENV = { CONCURRENCY: '40', JOB_TTL_SECONDS: String(TTL_SECONDS), RESYNC_SECONDS: String(RESYNC_SECONDS) };
// Long enough for thirty Jobs to be running at once on a busy machine.
const IMAGES = napImages({ 'nap/quick': 0, 'nap/5s': 5000 });
const SUCCEEDED = { status: 'succeeded', reason: null, log: 'Exiting with code 0' } as const;

describe('workers lost while their Jobs run', () => {
  let system: TestSystem | undefined;
  afterEach(() => system?.stop());

  /**
   * Ten requests that have ended (their Jobs collected, soon removed by their TTL), then thirty whose Jobs are all
   * running when the workers go: nothing is being finished at that moment, so every answer must come exactly once.
   */
  async function runUntilThirtyRunning(jobName: string): Promise<WorkLedger> {
    const ledger = await WorkLedger.open(system!, { request: { image: 'nap/5s', jobName, inputBucket: `${jobName}.outputs` }, expect: SUCCEEDED });
    for (let i = 0; i < 10; i++) ledger.publish({ image: 'nap/quick' });
    await eventually(() => ledger.replies.length === 10, 20_000, 'the first ten replies');
    for (let i = 0; i < 30; i++) ledger.publish();
    await eventually(() => system!.runningPods(`${jobName}-`) === 30, 20_000, 'thirty pods running');
    return ledger;
  }

  /** Waits for every Job to complete with no worker there, then for `seconds` more (a TTL a worker would have set). */
  async function whileNoWorker(seconds: number): Promise<void> {
    const lastCompletion = await eventually(() => {
      const jobs = system!.sim.list('jobs', NAMESPACE);
      return jobs.every((job) => job.status?.completionTime) && Math.max(...jobs.map((job) => Date.parse(job.status.completionTime)));
    }, 20_000, 'every Job to complete');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastCompletion + seconds * 1000 - Date.now())));
  }

  it('a worker killed (SIGKILL) mid-run and back after the TTL: each request ends once, with its real log', async () => {
    system = await TestSystem.start({ api: false, env: ENV, sim: { images: IMAGES } });
    const ledger = await runUntilThirtyRunning('killed');
    await system.workers[0].kill('SIGKILL');
    await whileNoWorker(TTL_SECONDS + 1);

    await system.startWorker();
    await ledger.untilEnded(30_000);
    await ledger.expectSettled({ quietMs: RESYNC_SECONDS * 1000 });
    expect(await system.objectNames('killed.outputs')).toHaveLength(40);
  }, 90_000);

  it('every worker down while the Jobs finish, back after twice the TTL: each request ends once, with its real log', async () => {
    system = await TestSystem.start({ workers: 2, api: false, env: ENV, sim: { images: IMAGES } });
    const ledger = await runUntilThirtyRunning('down');
    await Promise.all(system.workers.map((worker) => worker.kill('SIGTERM')));
    await whileNoWorker(2 * TTL_SECONDS);

    await Promise.all([system.startWorker(), system.startWorker()]);
    await ledger.untilEnded(30_000);
    await ledger.expectSettled({ quietMs: RESYNC_SECONDS * 1000 });
    expect(await system.objectNames('down.outputs')).toHaveLength(40);
  }, 90_000);
});
