import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startKubeSim, type KubeSim } from './index.js';
import { call, eventually, hasCondition, JOBS, jobManifest, PODS, SECRETS, watch } from './spec-helpers.js';

describe('fault injection and the request log', () => {
  let sim: KubeSim;
  beforeAll(async () => {
    sim = await startKubeSim();
  });
  afterAll(() => sim.stop());

  it('records every request with its verb, resource, names, query and status', async () => {
    sim.clearRequests();
    await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'logged' } } });
    await call(sim, 'GET', `${SECRETS}?labelSelector=a%3Db&limit=5`);
    await call(sim, 'GET', `${SECRETS}/missing`);
    await call(sim, 'PATCH', `${JOBS}/none/status`, { contentType: 'application/merge-patch+json', body: {} });
    await call(sim, 'GET', '/version');
    sim.get('secrets', 'default', 'logged');
    sim.list('pods');
    expect(sim.requests.map(({ time, userAgent, ...rest }) => rest)).toEqual([
      { method: 'POST', path: SECRETS, query: {}, verb: 'create', resource: 'secrets', namespace: 'default', name: 'logged', status: 201 },
      { method: 'GET', path: SECRETS, query: { labelSelector: 'a=b', limit: '5' }, verb: 'list', resource: 'secrets', namespace: 'default', status: 200 },
      { method: 'GET', path: `${SECRETS}/missing`, query: {}, verb: 'get', resource: 'secrets', namespace: 'default', name: 'missing', status: 404 },
      { method: 'PATCH', path: `${JOBS}/none/status`, query: {}, verb: 'patch', resource: 'jobs', subresource: 'status', namespace: 'default', name: 'none', status: 404 },
      { method: 'GET', path: '/version', query: {}, verb: 'get', status: 200 },
    ]);
    expect(sim.requests.every((r) => typeof r.time === 'number')).toBe(true);
    sim.clearRequests();
    expect(sim.requests).toEqual([]);
  });

  it('keeps at most requestLogLimit requests, dropping the oldest', async () => {
    const small = await startKubeSim({ requestLogLimit: 10 });
    for (let i = 0; i < 12; i++) await call(small, 'GET', `/version?n=${i}`);
    await small.stop();
    expect(small.requests.length).toBeLessThanOrEqual(10);
    expect(small.requests[small.requests.length - 1].query).toEqual({ n: '11' });
  });

  it('fails the next N requests with a 500 Status', async () => {
    sim.faults.failNext(2);
    const first = await call(sim, 'GET', SECRETS);
    expect(first.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'InternalError', code: 500 });
    expect((await call(sim, 'GET', '/version')).status).toBe(500);
    expect((await call(sim, 'GET', SECRETS)).status).toBe(200);
    expect(sim.requests.slice(-3).map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it('hangs the next N requests until the client gives up', async () => {
    sim.faults.hangNext(1);
    await expect(fetch(`${sim.url}${SECRETS}`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(sim.requests[sim.requests.length - 1]).toMatchObject({ verb: 'list', resource: 'secrets' });
    expect(sim.requests[sim.requests.length - 1].status).toBeUndefined();
    expect((await call(sim, 'GET', SECRETS)).status).toBe(200);
  });

  it('fails or hangs only the requests a matcher picks', async () => {
    sim.faults.failNext(1, { verb: 'get', resource: 'secrets', name: 'target' });
    sim.faults.hangNext(1, { verb: 'create', resource: 'secrets' });
    expect((await call(sim, 'GET', SECRETS)).status).toBe(200);
    expect((await call(sim, 'GET', `${SECRETS}/other`)).status).toBe(404);
    expect(sim.faults.pending()).toBe(2);
    expect((await call(sim, 'GET', `${SECRETS}/target`)).status).toBe(500);
    await expect(fetch(`${sim.url}${SECRETS}`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(sim.faults.pending()).toBe(0);
    expect((await call(sim, 'GET', `${SECRETS}/target`)).status).toBe(404);
  });

  it('stalls a watch: headers, then nothing, not even a bookmark', async () => {
    sim.faults.stallNext(1, { verb: 'watch', resource: 'secrets' });
    const stalled = await fetch(`${sim.url}${SECRETS}?watch=true&allowWatchBookmarks=true`, { signal: AbortSignal.timeout(2500) });
    expect(stalled.status).toBe(200);
    const reader = stalled.body!.getReader();
    // The simulator sends a bookmark every second on a live watch.
    await expect(reader.read()).rejects.toThrow();
    expect(sim.faults.pending()).toBe(0);
  });

  it('drops every open watch at once', async () => {
    const pods = await watch(sim, `${PODS}?watch=true`);
    const jobs = await watch(sim, `${JOBS}?watch=true`);
    expect(sim.openWatchCount()).toBe(2);
    expect(sim.openWatchCount('pods')).toBe(1);
    sim.faults.dropWatches();
    await Promise.all([pods.ended, jobs.ended]);
    expect(sim.openWatchCount()).toBe(0);
  });

  it('pauses and resumes the controllers and the kubelet', async () => {
    sim.faults.pauseControllers();
    await call(sim, 'POST', JOBS, { body: jobManifest('paused') });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sim.list('pods', 'default')).toHaveLength(0);
    expect(sim.get('jobs', 'default', 'paused').status).toEqual({});
    sim.faults.resumeControllers();
    await eventually(() => hasCondition(sim.get('jobs', 'default', 'paused'), 'Complete'), 3000, 'the Job to complete');
  });

  it('freezes pod status while paused, even when the container ends', async () => {
    await call(sim, 'POST', PODS, { body: { metadata: { name: 'frozen' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'kube-sim/sleep-exit', env: [{ name: 'SLEEP_MS', value: '100' }] }] } } });
    await eventually(() => sim.get('pods', 'default', 'frozen')?.status?.phase === 'Running', 3000, 'the pod to run');
    sim.faults.pauseControllers();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sim.get('pods', 'default', 'frozen').status.phase).toBe('Running');
    sim.faults.resumeControllers();
    await eventually(() => sim.get('pods', 'default', 'frozen')?.status?.phase === 'Succeeded', 3000, 'the pod to succeed');
  });
});
