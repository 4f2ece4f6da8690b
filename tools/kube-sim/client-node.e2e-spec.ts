import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiException, BatchV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, Watch, type V1Job } from '@kubernetes/client-node';
import { startKubeSim, type KubeSim } from './index.js';
import { eventually, hasCondition } from './spec-helpers.js';

const NAMESPACE = 'default';

interface WatchEvent {
  type: string;
  object: any;
}

/** Runs a client-node watch, collecting events until `until` matches or the server ends it. */
function collect(kubeConfig: KubeConfig, path: string, query: Record<string, string | number | boolean>, until: (event: WatchEvent) => boolean) {
  const events: WatchEvent[] = [];
  let abort: AbortController | undefined;
  const done = new Promise<{ events: WatchEvent[]; error: unknown }>((resolve, reject) => {
    new Watch(kubeConfig)
      .watch(
        path,
        query,
        (type, object) => {
          events.push({ type, object });
          if (until({ type, object })) {
            abort?.abort();
            resolve({ events, error: undefined });
          }
        },
        (error) => resolve({ events, error }),
      )
      .then((controller) => (abort = controller), reject);
  });
  return done;
}

describe('driven by @kubernetes/client-node', () => {
  let sim: KubeSim;
  let kubeConfig: KubeConfig;
  let batch: BatchV1Api;
  let core: CoreV1Api;

  beforeAll(async () => {
    // A spec second of 100 ms: a ttlSecondsAfterFinished of 3 passes in 0.3 s.
    sim = await startKubeSim({ timing: { specSecondMs: 100 } });
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sim.kubeconfig);
    batch = kubeConfig.makeApiClient(BatchV1Api);
    core = kubeConfig.makeApiClient(CoreV1Api);
  });
  afterAll(() => sim.stop());

  const job = (name: string, extra: Partial<V1Job['spec']> = {}): V1Job => ({
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'kube-sim-test' } },
    spec: {
      ttlSecondsAfterFinished: 3,
      backoffLimit: 0,
      ...extra,
      template: {
        metadata: { labels: { 'app.kubernetes.io/managed-by': 'kube-sim-test' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'mstc/python-test', env: [{ name: 'SLEEP_SECONDS', value: '0.2' }, { name: 'MINIO_SERVICE_HOST', value: 'minio' }] }] },
      },
    },
  });

  it('creates a Job, watches it to Complete, reads the log, and sees Job and pod vanish after the TTL', async () => {
    const created = await batch.createNamespacedJob({ namespace: NAMESPACE, body: job('flow') });
    expect(created.spec?.selector?.matchLabels).toEqual({ 'batch.kubernetes.io/controller-uid': created.metadata?.uid });

    const watched = await collect(kubeConfig, `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`, { fieldSelector: 'metadata.name=flow', allowWatchBookmarks: true }, (e) => hasCondition(e.object, 'Complete'));
    const complete = watched.events[watched.events.length - 1].object;
    expect(complete.status).toMatchObject({ succeeded: 1, completionTime: expect.any(String) });

    const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'job-name=flow' });
    expect(pods.items).toHaveLength(1);
    const podName = pods.items[0].metadata!.name!;
    expect(pods.items[0].status?.phase).toBe('Succeeded');
    const log = await core.readNamespacedPodLog({ namespace: NAMESPACE, name: podName, container: 'main' });
    expect(log).toContain('Started');
    expect(log).toContain('host: minio');
    expect(log.trimEnd().endsWith('SUCCESS')).toBe(true);

    await eventually(async () => {
      const [jobs, remaining] = await Promise.all([batch.listNamespacedJob({ namespace: NAMESPACE, fieldSelector: 'metadata.name=flow' }), core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'job-name=flow' })]);
      return jobs.items.length === 0 && remaining.items.length === 0;
    }, 5000, 'the TTL to delete the Job and its pod');
    await expect(core.readNamespacedPodLog({ namespace: NAMESPACE, name: podName })).rejects.toMatchObject({ code: 404 });
  });

  it('recovers a watch after a forced 410 Gone by listing again', async () => {
    const list = await batch.listNamespacedJob({ namespace: NAMESPACE });
    const staleVersion = list.metadata!.resourceVersion!;
    sim.faults.setWatchWindow(1);
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: job('gone-1', { suspend: true }) });
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: job('gone-2', { suspend: true }) });

    const expired = await collect(kubeConfig, `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`, { resourceVersion: staleVersion }, (e) => e.type === 'ERROR');
    expect(expired.events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) }]);

    const relisted = await batch.listNamespacedJob({ namespace: NAMESPACE });
    expect(relisted.items.map((j) => j.metadata!.name)).toEqual(expect.arrayContaining(['gone-1', 'gone-2']));
    const resumed = collect(kubeConfig, `/apis/batch/v1/namespaces/${NAMESPACE}/jobs`, { resourceVersion: relisted.metadata!.resourceVersion!, allowWatchBookmarks: true }, (e) => e.type === 'DELETED');
    await batch.deleteNamespacedJob({ namespace: NAMESPACE, name: 'gone-1', propagationPolicy: 'Background' });
    const { events } = await resumed;
    expect(events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['DELETED gone-1']);
    sim.faults.setWatchWindow(10_000);
  });

  it('ends a watch at timeoutSeconds through the done callback', async () => {
    const { error } = await collect(kubeConfig, '/api/v1/namespaces/kube-public/pods', { timeoutSeconds: 1 }, () => false);
    expect(error).toBeNull();
  });

  it('reports API errors as ApiException with the Status in the body', async () => {
    const missing = await batch.readNamespacedJob({ namespace: NAMESPACE, name: 'missing' }).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ApiException);
    expect((missing as ApiException<string>).code).toBe(404);
    expect(JSON.parse((missing as ApiException<string>).body)).toMatchObject({ kind: 'Status', reason: 'NotFound' });
  });

  it('patches with JSON patch by default (a failed test answers 422), and merge patch on request', async () => {
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: job('patchy', { suspend: true }) });
    const refused = await batch
      .patchNamespacedJob({ namespace: NAMESPACE, name: 'patchy', body: [{ op: 'test', path: '/metadata/labels/claimed', value: 'yes' }, { op: 'add', path: '/metadata/labels/claimed', value: 'no' }] })
      .catch((error: unknown) => error);
    expect((refused as ApiException<string>).code).toBe(422);
    const claimed = await batch.patchNamespacedJob({ namespace: NAMESPACE, name: 'patchy', body: [{ op: 'add', path: '/metadata/labels/claimed', value: 'yes' }] });
    expect(claimed.metadata?.labels?.claimed).toBe('yes');
    const merged = await batch.patchNamespacedJob({ namespace: NAMESPACE, name: 'patchy', body: { spec: { ttlSecondsAfterFinished: 9 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    expect(merged.spec?.ttlSecondsAfterFinished).toBe(9);
    const status = await batch.deleteNamespacedJob({ namespace: NAMESPACE, name: 'patchy', propagationPolicy: 'Foreground' });
    expect(status).toBeDefined();
  });

  it('creates and reads Secrets', async () => {
    await core.createNamespacedSecret({ namespace: NAMESPACE, body: { metadata: { name: 'creds' }, stringData: { accessKey: 'minioadmin' } } });
    const secret = await core.readNamespacedSecret({ namespace: NAMESPACE, name: 'creds' });
    expect(Buffer.from(secret.data!.accessKey, 'base64').toString()).toBe('minioadmin');
    await core.deleteNamespacedSecret({ namespace: NAMESPACE, name: 'creds' });
    expect((await core.listNamespacedSecret({ namespace: NAMESPACE })).items.map((s) => s.metadata?.name)).not.toContain('creds');
  });
});
