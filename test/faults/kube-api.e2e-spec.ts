import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, napImages, TestSystem } from '../support/system.js';
import { WorkLedger } from '../support/work-ledger.js';

const RESYNC_SECONDS = 3;
const QUIET_MS = RESYNC_SECONDS * 1000;
const POD_LOG = { verb: 'get', resource: 'pods', subresource: 'log' } as const;

/** The Kubernetes API failing in the ways a real one does; each case ends with every request settled, once, with its real log. */
describe('the Kubernetes API misbehaving', () => {
  let system: TestSystem;
  let ledger: WorkLedger;
  const repeating: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    system = await TestSystem.start({
      api: false,
      env: {
        CONCURRENCY: '20',
        JOB_TTL_SECONDS: '2',
        RESYNC_SECONDS: String(RESYNC_SECONDS),
        KUBE_REQUEST_TIMEOUT_MS: '2000',
        WATCH_STALL_SECONDS: '2',
        RETRY_BASE_DELAY_MS: '100',
        RETRY_MAX_DELAY_MS: '2000',
      },
      sim: { images: napImages({ 'nap/1s': 1000, 'nap/2s': 2000 }) },
    });
  });
  afterEach(() => {
    for (const timer of repeating.splice(0)) clearInterval(timer);
    system.sim.faults.clearRequestFaults();
    system.sim.faults.setWatchWindow(10_000);
  });
  afterAll(() => system?.stop());

  /** A fresh ledger per case; the system (and its quiet periods) is shared, so each case settles before the next. */
  async function openLedger(jobName: string): Promise<WorkLedger> {
    ledger = await WorkLedger.open(system, {
      request: { image: 'nap/1s', jobName, inputBucket: `${jobName}.outputs` },
      expect: { status: 'succeeded', reason: null, log: 'Exiting with code 0' },
    });
    return ledger;
  }

  function publishMany(count: number): void {
    for (let i = 0; i < count; i++) ledger.publish({ image: i % 2 ? 'nap/2s' : 'nap/1s' });
  }

  function every(ms: number, action: () => void): void {
    repeating.push(setInterval(action, ms));
  }

  async function settled(timeoutMs = 40_000): Promise<void> {
    await ledger.untilEnded(timeoutMs);
    for (const timer of repeating.splice(0)) clearInterval(timer);
    await ledger.expectSettled({ quietMs: QUIET_MS });
  }

  it('watches dropped again and again while Jobs run', async () => {
    await openLedger('dropped');
    publishMany(20);
    every(300, () => system.sim.faults.dropWatches());
    await settled();
  }, 90_000);

  it('watches that can only resume into 410 Gone', async () => {
    await openLedger('gone');
    system.sim.faults.setWatchWindow(5);
    publishMany(20);
    // Each time, the next watch hangs until the worker gives up on it, while twenty Jobs' pods go through far
    // more than five events: resuming from where it was then answers 410 Gone.
    const goAway = () => {
      system.sim.faults.hangNext(1, { verb: 'watch', resource: 'pods' });
      system.sim.faults.dropWatches();
    };
    await eventually(() => system.runningPods('gone-') > 0, 20_000, 'a pod running');
    goAway();
    await eventually(() => ledger.replies.length >= 1, 30_000, 'a first end');
    goAway();
    await settled();
  }, 90_000);

  it.each([
    ['bursts of 500s', 'burst', () => system.sim.faults.failNext(15)],
    ['requests that hang until the worker gives up on them', 'hung', () => system.sim.faults.hangNext(3)],
  ])('%s, while Jobs are created and while they end', async (_what, jobName, inject) => {
    await openLedger(jobName);
    inject();
    publishMany(20);
    await eventually(() => ledger.replies.length >= 1, 30_000, 'a first end');
    inject();
    await settled();
    expect(system.sim.faults.pending()).toBe(0);
  }, 90_000);

  it('a stalled pod watch: Jobs that end meanwhile are noticed once it is replaced', async () => {
    await openLedger('stalled');
    for (let i = 0; i < 10; i++) ledger.publish({ image: 'nap/2s' });
    await eventually(() => system.createdJobs('stalled-').length === 10, 20_000, 'ten Jobs');
    // The next pod watch is accepted and then says nothing, not even a bookmark.
    system.sim.faults.stallNext(1, { verb: 'watch', resource: 'pods' });
    system.sim.faults.dropWatches();
    await settled();
    expect(system.sim.faults.pending()).toBe(0);
  }, 90_000);

  // A hung read never gets an answer (undefined).
  it.each([
    ['fails once with 500', 'log500', () => system.sim.faults.failNext(1, POD_LOG), 500],
    ['hangs once', 'loghang', () => system.sim.faults.hangNext(1, POD_LOG), undefined],
  ])('a pod log read that %s: the real log is stored', async (_what, jobName, inject, answer) => {
    await openLedger(jobName);
    inject();
    const id = ledger.publish();
    await settled();
    expect(logReads(system, `${jobName}-${id}`)).toContain(answer);
  }, 60_000);
});

/** The answers to reads of the Job's pod logs (undefined: never answered). */
function logReads(system: TestSystem, jobName: string): Array<number | undefined> {
  return system.sim.requests.filter((r) => r.subresource === 'log' && r.name?.startsWith(`${jobName}-`)).map((r) => r.status);
}
