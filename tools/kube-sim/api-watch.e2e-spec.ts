import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startKubeSim, type KubeSim } from './index.js';
import { TABLE_CONTENT_TYPE } from './tables.js';
import { call, eventually, JOBS, jobManifest, SECRETS, watch } from './spec-helpers.js';

const mergePatch = (sim: KubeSim, path: string, body: unknown) => call(sim, 'PATCH', path, { contentType: 'application/merge-patch+json', body });

describe('watch', () => {
  let sim: KubeSim;
  beforeAll(async () => {
    sim = await startKubeSim({ timing: { bookmarkIntervalMs: 50 } });
  });
  afterAll(() => sim.stop());

  it('without a resourceVersion sends the current objects as ADDED, then changes', async () => {
    await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'w-existing', labels: { set: 'w1' } } } });
    const stream = await watch(sim, `${SECRETS}?watch=true&labelSelector=set%3Dw1`);
    await stream.next((e) => e.type === 'ADDED' && e.object.metadata.name === 'w-existing');
    expect(stream.events[0].object).toMatchObject({ kind: 'Secret', apiVersion: 'v1' });
    await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'w-new', labels: { set: 'w1' } } } });
    await stream.next((e) => e.type === 'ADDED' && e.object.metadata.name === 'w-new');
    stream.close();
  });

  it('with resourceVersion=0 starts from the current state too', async () => {
    const stream = await watch(sim, `${SECRETS}?watch=true&resourceVersion=0&labelSelector=set%3Dw1`);
    await stream.next((e) => e.object.metadata.name === 'w-new');
    expect(stream.events.map((e) => e.type)).toEqual(['ADDED', 'ADDED']);
    stream.close();
  });

  it('from a resourceVersion replays exactly what came after it', async () => {
    const created = (await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'w-replay', labels: { set: 'w2' } } } })).body;
    await mergePatch(sim, `${SECRETS}/w-replay`, { metadata: { annotations: { n: '1' } } });
    await call(sim, 'DELETE', `${SECRETS}/w-replay`);
    const stream = await watch(sim, `${SECRETS}?watch=true&labelSelector=set%3Dw2&resourceVersion=${created.metadata.resourceVersion}`);
    await stream.next((e) => e.type === 'DELETED');
    expect(stream.events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
    expect(Number(stream.events[1].object.metadata.resourceVersion)).toBeGreaterThan(Number(stream.events[0].object.metadata.resourceVersion));
    stream.close();
  });

  it('answers a resourceVersion older than the window with an ERROR event holding a 410 Status', async () => {
    const old = (await call(sim, 'GET', SECRETS)).body.metadata.resourceVersion;
    sim.faults.setWatchWindow(2);
    for (const name of ['g1', 'g2', 'g3']) await call(sim, 'POST', SECRETS, { body: { metadata: { name } } });
    const stream = await watch(sim, `${SECRETS}?watch=true&resourceVersion=${old}`);
    await stream.ended;
    expect(stream.events).toEqual([
      {
        type: 'ERROR',
        object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: expect.stringMatching(/^too old resource version: \d+ \(\d+\)$/), reason: 'Expired', code: 410 },
      },
    ]);
    sim.faults.setWatchWindow(10_000);
  });

  it('turns objects leaving or entering the selection into DELETED and ADDED', async () => {
    await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'w-mover', labels: { set: 'w3' } } } });
    const stream = await watch(sim, `${SECRETS}?watch=true&labelSelector=set%3Dw3`);
    await mergePatch(sim, `${SECRETS}/w-mover`, { metadata: { labels: { set: 'other' } } });
    await stream.next((e) => e.type === 'DELETED');
    await mergePatch(sim, `${SECRETS}/w-mover`, { metadata: { labels: { set: 'w3' } } });
    await stream.next((e) => e.type === 'ADDED' && e.object.metadata.labels.set === 'w3' && stream.events.indexOf(e) > 0);
    expect(stream.events.map((e) => e.type)).toEqual(['ADDED', 'DELETED', 'ADDED']);
    stream.close();
  });

  it('watches one object through fieldSelector or its own path', async () => {
    await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'w-one' } } });
    const bySelector = await watch(sim, `${SECRETS}?watch=true&fieldSelector=metadata.name%3Dw-one`);
    const byPath = await watch(sim, `${SECRETS}/w-one?watch=true`);
    await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'w-two' } } });
    await mergePatch(sim, `${SECRETS}/w-one`, { metadata: { labels: { touched: 'yes' } } });
    for (const stream of [bySelector, byPath]) {
      await stream.next((e) => e.type === 'MODIFIED');
      expect(stream.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED w-one', 'MODIFIED w-one']);
      stream.close();
    }
  });

  it('sends BOOKMARKs only when allowed, carrying the current resourceVersion', async () => {
    const withBookmarks = await watch(sim, `${JOBS}?watch=true&allowWatchBookmarks=true`);
    const without = await watch(sim, `${JOBS}?watch=true`);
    const bookmark = await withBookmarks.next((e) => e.type === 'BOOKMARK');
    expect(bookmark.object).toEqual({ kind: 'Job', apiVersion: 'batch/v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/), creationTimestamp: null } });
    expect(without.events.filter((e) => e.type === 'BOOKMARK')).toEqual([]);
    withBookmarks.close();
    without.close();
  });

  it('ends the initial events with a bookmark when sendInitialEvents is asked', async () => {
    const stream = await watch(sim, `${SECRETS}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&labelSelector=set%3Dw1`);
    const end = await stream.next((e) => e.type === 'BOOKMARK');
    expect(end.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    expect(stream.events.slice(0, 2).map((e) => e.type)).toEqual(['ADDED', 'ADDED']);
    stream.close();
  });

  it('ends the response after timeoutSeconds, and counts open watches', async () => {
    const started = Date.now();
    const stream = await watch(sim, `${SECRETS}?watch=true&timeoutSeconds=1`);
    expect(sim.openWatchCount('secrets')).toBeGreaterThanOrEqual(1);
    expect(sim.openWatches()).toContainEqual({ resource: 'secrets', namespace: 'default' });
    await stream.ended;
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    // Earlier tests closed their watches from the client side; the server notices shortly.
    await eventually(() => sim.openWatchCount() === 0, 2000, 'every watch to be closed');
  });

  it('answers 200 with headers before any event', async () => {
    const response = await fetch(`${sim.url}/api/v1/namespaces/kube-public/secrets?watch=true`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    await response.body?.cancel();
  });

  it('streams Tables to kubectl get --watch', async () => {
    const stream = await watch(sim, `${SECRETS}?watch=true&fieldSelector=metadata.name%3Dw-one`, `${TABLE_CONTENT_TYPE},application/json`);
    const event = await stream.next(() => true);
    expect(event.object).toMatchObject({ kind: 'Table', rows: [{ cells: ['w-one', 'Opaque', '0', expect.any(String)] }] });
    stream.close();
  });

  it('lists and watches the Events that controllers record', async () => {
    const stream = await watch(sim, '/api/v1/namespaces/default/events?watch=true&fieldSelector=involvedObject.name%3Dw-job');
    await call(sim, 'POST', JOBS, { body: jobManifest('w-job') });
    const created = await stream.next((e) => e.object.reason === 'SuccessfulCreate');
    expect(created.object).toMatchObject({ kind: 'Event', type: 'Normal', source: { component: 'job-controller' }, involvedObject: { kind: 'Job', name: 'w-job', apiVersion: 'batch/v1' } });
    expect(created.object.message).toMatch(/^Created pod: w-job-[a-z0-9]{5}$/);
    stream.close();
    const listed = await call(sim, 'GET', '/api/v1/namespaces/default/events?fieldSelector=reason%3DSuccessfulCreate');
    expect(listed.body.items.map((e: any) => e.involvedObject.name)).toContain('w-job');
  });
});
