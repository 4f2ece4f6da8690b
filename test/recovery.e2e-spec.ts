import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { holdsFor } from './support/holds-for.js';
import { eventually, pythonTestImage, TestSystem } from './support/system.js';

/** Each system here resyncs this often, so that a test can watch a whole period for anything more happening. */
const RESYNC_MS = 2000;
const ENV = { RESYNC_SECONDS: String(RESYNC_MS / 1000) };

describe('never lose a log, never run a request twice', () => {
  let system: TestSystem | undefined;
  afterEach(() => system?.stop());

  it('finishes a Job whose worker was killed, after the Job ended and its TTL passed', async () => {
    system = await TestSystem.start({
      api: false,
      env: { ...ENV, JOB_TTL_SECONDS: '1' },
      sim: { images: pythonTestImage(1.5) },
    });
    const { queue, replies } = await system.replyQueue();
    const id = randomUUID();
    const jobName = `test-job-${id}`;
    system.publishWork({ id, image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'test.inputs' }, { replyTo: queue, correlationId: id });

    await eventually(() => system!.sim.list('pods', 'default').some((pod) => pod.metadata.labels?.['job-name'] === jobName && pod.status?.phase === 'Running'), 15_000, 'the pod to run');
    await system.workers[0].kill('SIGKILL');
    const finishedAt = await eventually(() => {
      const job = system!.sim.get('jobs', 'default', jobName);
      return job?.status?.completionTime && Date.parse(job.status.completionTime);
    }, 15_000, 'the Job to complete');
    // Past the TTL the worker would have set: nothing may depend on the Job being collected in time.
    await eventually(() => Date.now() >= finishedAt + 2000, 5000, 'the TTL to pass');

    await system.startWorker();
    const reply = await eventually(() => replies.find((r) => r.correlationId === id), 20_000, 'the reply');
    expect(reply.body).toMatchObject({ status: 'succeeded', jobName, logObject: `${jobName}.log` });
    await holdsFor(() => replies.filter((r) => r.correlationId === id).length === 1, RESYNC_MS, 'one reply');

    const created = system.sim.requests.filter((r) => r.verb === 'create' && r.resource === 'jobs' && r.status === 201);
    expect(created).toHaveLength(1);
    expect(await system.objectText('test.inputs', `${jobName}.log`)).toContain('SUCCESS');
    // Collected now, so the TTL removes it.
    await eventually(() => system!.sim.get('jobs', 'default', jobName) === undefined, 10_000, 'the TTL to remove the Job');
  });

  it('shares 50 requests between two workers: 50 Jobs, 50 logs, none twice', async () => {
    system = await TestSystem.start({ workers: 2, api: false, env: { ...ENV, CONCURRENCY: '10' } });
    const { queue, replies } = await system.replyQueue();
    const ids = Array.from({ length: 50 }, () => randomUUID());
    for (const id of ids) {
      system.publishWork({ id, image: 'kube-sim/sleep-exit', jobName: 'shared', inputBucket: 'shared.outputs' }, { replyTo: queue, correlationId: id });
    }
    await eventually(() => replies.length >= 50, 60_000, '50 replies');
    await holdsFor(() => replies.length === 50, RESYNC_MS, 'fifty replies');
    expect(new Set(replies.map((r) => r.correlationId))).toEqual(new Set(ids));
    expect(replies.every((r) => r.body.status === 'succeeded')).toBe(true);

    expect(system.sim.requests.filter((r) => r.verb === 'create' && r.resource === 'jobs' && r.status === 201)).toHaveLength(50);
    const logs: string[] = [];
    for await (const item of system.s3Client.listObjectsV2('shared.outputs', '', true)) logs.push((item as { name: string }).name);
    expect(logs.sort()).toEqual(ids.map((id) => `shared-${id}.log`).sort());

    const endedLines = () => system!.workers.map((worker) => worker.lines.filter((line) => line.msg === 'Job ended').map((line) => line.jobName));
    await eventually(() => endedLines().flat().length >= 50, 5000, "every worker's log lines");
    const endedBy = endedLines();
    expect(endedBy.every((names) => names.length > 0)).toBe(true);
    expect(endedBy.flat().sort()).toEqual(ids.map((id) => `shared-${id}`).sort());
  });

  it('runs a request delivered to two workers at once only once, and announces its end once', async () => {
    system = await TestSystem.start({ workers: 2, api: false, env: { ...ENV, CONCURRENCY: '1' } });
    const events = await system.resultEvents();
    const { queue, replies } = await system.replyQueue();
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const id of ids) {
      // The same request twice in a row: with a prefetch of one, each worker takes one copy.
      const request = { id, image: 'kube-sim/sleep-exit', jobName: 'dup', inputBucket: 'dup.outputs' };
      system.publishWork(request, { replyTo: queue, correlationId: id });
      system.publishWork(request, { replyTo: queue, correlationId: id });
    }
    await eventually(() => replies.length >= 10, 30_000, 'a reply to every copy');
    expect(replies.every((r) => r.body.status === 'succeeded')).toBe(true);
    expect(system.sim.requests.filter((r) => r.verb === 'create' && r.resource === 'jobs' && r.status === 201)).toHaveLength(5);
    await holdsFor(() => events.length === 15, RESYNC_MS, 'three events per request');
    for (const id of ids) {
      expect(events.filter((event) => event.record.id === id).map((event) => event.routingKey)).toEqual(['job.queued', 'job.running', 'job.succeeded']);
    }
  });
});
