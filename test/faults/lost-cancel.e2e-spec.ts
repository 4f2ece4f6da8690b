import { afterAll, describe, expect, it } from '@jest/globals';
import { ApiClient } from '../support/http.js';
import { eventually, NAMESPACE, TestSystem } from '../support/system.js';
import { WorkLedger } from '../support/work-ledger.js';

const RESYNC_SECONDS = 3;

describe('a cancel command that reaches no worker', () => {
  let system: TestSystem | undefined;
  let nobody = '';
  afterAll(async () => {
    await system?.channel.deleteExchange(nobody).catch(() => undefined);
    await system?.stop();
  });

  it('is noticed within a resync period: the Job is deleted, its log so far stored, the record stays cancelled', async () => {
    system = await TestSystem.start({ api: false, env: { RESYNC_SECONDS: String(RESYNC_SECONDS), JOB_TTL_SECONDS: '2' } });
    // The api tells an exchange no worker listens on: its cancel command is lost.
    nobody = `${system.names.controlExchange}.nobody`;
    await system.startApi({ CONTROL_EXCHANGE: nobody });
    const api = new ApiClient(() => system!.apiUrl);
    const ledger = await WorkLedger.open(system, {
      request: { image: 'mstc/sleep', jobName: 'sleeper', inputBucket: 'lost-cancel' },
      expect: { status: 'cancelled', reason: 'Cancelled', log: 'Started, sleeping until killed' },
    });
    const submitted = await ledger.submit(api);
    expect(submitted.status).toBe(202);
    const { id, jobName } = submitted.body;
    await eventually(async () => (await system!.record(id))?.status === 'running', 15_000, 'the job to run', 100);
    const pod = await eventually(
      () => system!.sim.list('pods', NAMESPACE).find((p) => p.metadata.labels?.['job-name'] === jobName && p.status?.phase === 'Running')?.metadata.name as string | undefined,
      15_000,
      'its pod to run',
    );
    // Its process has written its line: there is a log so far to keep.
    await eventually(async () => (await (await fetch(`${system!.sim.url}/api/v1/namespaces/${NAMESPACE}/pods/${pod}/log`)).text()).includes('sleeping until killed'), 10_000, 'its first line');

    const cancelled = await api.request<{ status: string }>('DELETE', `/jobs/${id}`);
    expect(cancelled).toMatchObject({ status: 202, body: { status: 'cancelled' } });
    const cancelledAt = Date.now();

    // One resync period, plus a little for the deletion itself.
    await eventually(() => system!.sim.get('jobs', NAMESPACE, jobName) === undefined, RESYNC_SECONDS * 1000 + 2000, 'the Job to be deleted within a resync period');
    expect(Date.now() - cancelledAt).toBeLessThan(RESYNC_SECONDS * 1000 + 2000);
    expect(system.sim.requests.filter((r) => r.verb === 'delete' && r.resource === 'jobs' && r.name === jobName).map((r) => r.query.propagationPolicy)).toEqual(['Background']);
    await ledger.untilEnded(5000);
    await ledger.expectSettled({ quietMs: RESYNC_SECONDS * 1000 });
  }, 60_000);
});
