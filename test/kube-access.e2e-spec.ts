import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildJob, KUBE_PERMISSIONS, KubeApi, STS_KUBE_PERMISSIONS, MANAGED_SELECTOR, PodInformer, type JobSettings, type RestartReason } from '@app/kube';
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { startKubeSim, type KubeSim } from '../tools/kube-sim/index.js';
import { createS3Secret } from '../tools/local-stack/s3-secret.js';
import { eventually } from './support/system.js';

const settings: JobSettings = {
  namespace: 'default',
  backoffLimit: 0,
  timeOutUnitSeconds: 60,
  deadlineMarginSeconds: 120,
  workerId: 'kube-access-test',
  imagePullSecrets: [],
  nodeSelector: {},
  tolerations: [],
  runAsNonRoot: false,
  s3: { host: '127.0.0.1', port: 9000, secretName: 'cloud-worker-s3' },
};

/**
 * A simulator with the Jobs' S3 Secret, the worker's client of it (with a short request time-out, which the tests
 * of hung requests wait out), and a client for the tests' own changes, which a busy machine must not time out.
 */
async function simulatorAndClient(): Promise<{ sim: KubeSim; kube: KubeApi; setup: KubeApi }> {
  const sim = await startKubeSim();
  await createS3Secret(sim, { accessKey: 'a', secretKey: 'b' });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(sim.kubeconfig);
  return { sim, kube: new KubeApi(kubeConfig, { requestTimeoutMs: 500 }), setup: new KubeApi(kubeConfig, { requestTimeoutMs: 30_000 }) };
}

function manifest(jobName = 'probe') {
  return buildJob({ id: randomUUID(), image: 'kube-sim/sleep-exit', jobName, inputBucket: 'in.bucket', outputBucket: 'in.bucket', timeOut: 5 }, settings);
}

describe("the worker's Kubernetes access, against the simulator", () => {
  let sim: KubeSim;
  let kube: KubeApi;

  beforeAll(async () => {
    ({ sim, kube } = await simulatorAndClient());
  });
  afterAll(() => sim?.stop());

  it('keeps its connection to the API server alive: many requests, one after another, over one connection', async () => {
    const before = sim.connectionsAccepted();
    const job = await kube.createJob('default', manifest('keep-alive'));
    for (let i = 0; i < 20; i++) await kube.getJob('default', job.metadata!.name!);
    await kube.listJobs('default', MANAGED_SELECTOR);
    expect(await kube.deleteJob('default', job.metadata!.name!)).toBe(true);
    expect(sim.connectionsAccepted() - before).toBeLessThanOrEqual(1);
  });

  it('needs exactly the permissions it declares for its Role (with JOB_S3_CREDENTIALS=sts, those for Secrets too)', async () => {
    sim.clearRequests();
    const job = await kube.createJob('default', manifest());
    const name = job.metadata!.name!;
    await kube.getJob('default', name);
    await kube.listJobs('default', MANAGED_SELECTOR);
    const pod = await eventually(async () => (await kube.listPods('default', `job-name=${name}`)).items[0], 5000, 'the pod');
    await eventually(async () => {
      const log = await kube.openPodLog('default', pod.metadata!.name!, 'probe', 1024);
      return log && (await log.toArray()) !== undefined;
    }, 5000, 'the log');
    await kube.patchJob('default', name, [{ op: 'add', path: '/spec/ttlSecondsAfterFinished', value: 30 }]);
    const watching = new AbortController();
    const watch = kube.watch('/api/v1/namespaces/default/pods', { timeoutSeconds: '1' }, { onConnected: () => watching.abort(), onEvent: () => undefined }, watching.signal);
    await watch.catch(() => undefined);
    expect(await kube.deleteJob('default', name)).toBe(true);
    expect(await kube.deleteJob('default', name)).toBe(false);
    await kube.createSecret('default', { metadata: { name }, stringData: { accessKey: 'a' } });
    expect((await kube.getSecret('default', name))?.data).toEqual({ accessKey: Buffer.from('a').toString('base64') });
    expect(await kube.getSecret('default', 'no-such-secret')).toBeUndefined();

    const used = new Map<string, Set<string>>();
    for (const request of sim.requests.filter((r) => r.resource)) {
      const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource!;
      if (!used.has(resource)) used.set(resource, new Set());
      used.get(resource)!.add(request.verb);
    }
    const declared = new Map([...KUBE_PERMISSIONS, ...STS_KUBE_PERMISSIONS].map((permission) => [permission.resource as string, new Set<string>(permission.verbs)]));
    expect(used).toEqual(declared);
  });

  it('reads a missing Job and a missing pod log as absent, not as errors', async () => {
    expect(await kube.getJob('default', 'no-such-job')).toBeUndefined();
    expect(await kube.openPodLog('default', 'no-such-pod', 'x', 1024)).toBeUndefined();
  });

  it('keeps an answered watch open past the request time-out', async () => {
    const watching = new AbortController();
    let connected = false;
    const watch = kube.watch('/api/v1/namespaces/default/pods', { timeoutSeconds: '30' }, { onConnected: () => (connected = true), onEvent: () => undefined }, watching.signal);
    await eventually(() => connected, 2000, 'the watch to connect');
    // Three times the client's request time-out of 500 ms.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(sim.openWatchCount('pods')).toBe(1);
    watching.abort();
    await watch.catch(() => undefined);
  });

  it('gives up on a request that hangs', async () => {
    sim.faults.hangNext(1);
    const started = Date.now();
    await expect(kube.listJobs('default', MANAGED_SELECTOR)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('the pod informer', () => {
  let sim: KubeSim;
  let kube: KubeApi;
  let setup: KubeApi;
  let informer: PodInformer;
  const restarts: RestartReason[] = [];

  beforeAll(async () => {
    ({ sim, kube, setup } = await simulatorAndClient());
    await setup.createJob('default', manifest('existing'));
    await eventually(() => sim.list('pods', 'default').length === 1, 5000, 'the first pod');
    informer = new PodInformer(kube, { namespace: 'default', labelSelector: MANAGED_SELECTOR, watchTimeoutSeconds: 30, stallSeconds: 5, onRestart: (reason) => restarts.push(reason) });
    await informer.start();
  });
  afterAll(async () => {
    await informer?.stop();
    await sim?.stop();
  });

  const cachedPods = (jobName: string) => informer.podsOfJob(jobName);

  it('starts from a list of the pods that exist', () => {
    const existing = sim.list<V1Pod>('pods', 'default')[0];
    expect(cachedPods(existing.metadata!.labels!['job-name']).map((pod) => pod.metadata!.name)).toEqual([existing.metadata!.name]);
  });

  it('follows many Jobs through one watch connection and sees them end', async () => {
    const names = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await setup.createJob('default', manifest(`many-${i}`))).metadata!.name!));
    await eventually(() => names.every((name) => cachedPods(name)[0]?.status?.phase === 'Succeeded'), 10_000, 'every pod to succeed');
    expect(sim.openWatchCount('pods')).toBe(1);
    expect(informer.health().healthy).toBe(true);
  });

  it('lists again after 410 Gone and misses nothing', async () => {
    sim.faults.setWatchWindow(2);
    sim.faults.hangNext(1);
    sim.faults.dropWatches();
    // The informer's next request, its resumed watch, hangs until the client gives up; meanwhile more happens
    // than the server keeps, so the resume after that answers 410 Gone.
    await eventually(() => sim.openWatchCount('pods') === 0 && sim.requests.at(-1)?.verb === 'watch', 2000, 'the hung watch');
    const names = await Promise.all(Array.from({ length: 5 }, async (_, i) => (await setup.createJob('default', manifest(`gone-${i}`))).metadata!.name!));
    await eventually(() => restarts.includes('expired'), 10_000, 'a 410 restart');
    await eventually(() => names.every((name) => cachedPods(name).length === 1), 10_000, 'every new pod in the cache');
    const deleted = names[0];
    await setup.deleteJob('default', deleted);
    await eventually(() => cachedPods(deleted).length === 0, 10_000, 'the deleted pod to leave the cache');
  });
});

describe('the pod informer at start', () => {
  it('keeps listing while the API server fails, and resolves once the pods are listed', async () => {
    const { sim, kube } = await simulatorAndClient();
    const restarts: RestartReason[] = [];
    const informer = new PodInformer(kube, { namespace: 'default', labelSelector: MANAGED_SELECTOR, watchTimeoutSeconds: 30, stallSeconds: 5, onRestart: (reason) => restarts.push(reason) });
    try {
      const job = await kube.createJob('default', manifest('early'));
      await eventually(() => sim.list('pods', 'default').length === 1, 5000, 'the pod');
      const before = sim.requests.length;
      sim.faults.failNext(2);
      await informer.start();
      expect(restarts).toEqual(['error', 'error']);
      expect(sim.requests.slice(before, before + 3).map((r) => `${r.verb} ${r.status}`)).toEqual(['list 500', 'list 500', 'list 200']);
      expect(informer.podsOfJob(job.metadata!.name!)).toHaveLength(1);
    } finally {
      await informer.stop();
      await sim.stop();
    }
  });
});
