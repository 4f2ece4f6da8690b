import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startKubeSim, type KubeSim } from './index.js';
import { call, eventually, hasCondition, JOBS, jobManifest, watch } from './spec-helpers.js';

const conditionTypes = (job: any) => (job.status?.conditions ?? []).map((c: any) => `${c.type}:${c.reason}`);

describe('the Job controller', () => {
  let sim: KubeSim;
  // One spec second lasts 50 ms here, so deadlines and TTLs pass quickly.
  beforeAll(async () => {
    sim = await startKubeSim({ timing: { specSecondMs: 50 } });
  });
  afterAll(() => sim.stop());

  const podsOf = (job: string) => sim.list('pods', 'default').filter((pod) => pod.metadata.labels?.['job-name'] === job);
  const finished = (name: string, condition = 'Complete') =>
    eventually(() => {
      const job = sim.get('jobs', 'default', name);
      return hasCondition(job, condition) && job;
    }, 5000, `${name} to reach ${condition}`);

  it('runs a pod to completion and keeps the status as Kubernetes 1.30+ does', async () => {
    const stream = await watch(sim, `${JOBS}?watch=true&fieldSelector=metadata.name%3Dsuccess`);
    const created = (await call(sim, 'POST', JOBS, { body: jobManifest('success', 'kube-sim/sleep-exit', { env: { SLEEP_MS: '30' } }) })).body;
    const uid = created.metadata.uid;
    expect(created.spec).toMatchObject({ backoffLimit: 6, completions: 1, parallelism: 1, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } } });
    expect(created.spec.template.metadata.labels).toEqual({ app: 'kube-sim-test', 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'success', 'controller-uid': uid, 'job-name': 'success' });

    await stream.next((e) => hasCondition(e.object, 'Complete'));
    stream.close();
    const statuses = stream.events.map((e) => e.object.status);
    expect(statuses).toContainEqual(expect.objectContaining({ active: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {} }));
    expect(statuses).toContainEqual(expect.objectContaining({ active: 1, ready: 1 }));
    expect(statuses).toContainEqual(expect.objectContaining({ uncountedTerminatedPods: { succeeded: [expect.any(String)] } }));
    const job = sim.get('jobs', 'default', 'success');
    expect(job.status).toMatchObject({ succeeded: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {}, startTime: expect.any(String), completionTime: expect.any(String) });
    expect(job.status.active).toBeUndefined();
    expect(conditionTypes(job)).toEqual(['SuccessCriteriaMet:CompletionsReached', 'Complete:CompletionsReached']);

    const [pod] = podsOf('success');
    expect(pod.metadata.name).toMatch(/^success-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(pod.metadata.labels).toMatchObject({ app: 'kube-sim-test', 'job-name': 'success', 'batch.kubernetes.io/job-name': 'success', 'controller-uid': uid, 'batch.kubernetes.io/controller-uid': uid });
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'success', uid, controller: true, blockOwnerDeletion: true }]);
    expect(pod.metadata.finalizers).toBeUndefined();
    const events = sim.list('events', 'default').filter((e) => e.involvedObject.uid === uid).map((e) => e.reason);
    expect(events).toEqual(expect.arrayContaining(['SuccessfulCreate', 'Completed']));
  });

  it('keeps the tracking finalizer on pods until they are counted', async () => {
    await call(sim, 'POST', JOBS, { body: jobManifest('tracked', 'kube-sim/sleep-forever') });
    await eventually(() => podsOf('tracked')[0]?.status?.phase === 'Running', 3000, 'the pod to run');
    expect(podsOf('tracked')[0].metadata.finalizers).toEqual(['batch.kubernetes.io/job-tracking']);
    await call(sim, 'DELETE', `${JOBS}/tracked`, { body: { propagationPolicy: 'Background' } });
  });

  it('runs completions with parallelism', async () => {
    await call(sim, 'POST', JOBS, { body: jobManifest('parallel', 'kube-sim/sleep-exit', { env: { SLEEP_MS: '20' }, spec: { completions: 3, parallelism: 2 } }) });
    const job = await finished('parallel');
    expect(job.status.succeeded).toBe(3);
    expect(podsOf('parallel')).toHaveLength(3);
  });

  it('retries failed pods, then fails with BackoffLimitExceeded', async () => {
    await call(sim, 'POST', JOBS, { body: jobManifest('backoff', 'kube-sim/sleep-exit', { env: { EXIT_CODE: '2' }, spec: { backoffLimit: 2 } }) });
    const job = await finished('backoff', 'Failed');
    expect(job.status).toMatchObject({ failed: 3 });
    expect(job.status.succeeded).toBeUndefined();
    expect(job.status.completionTime).toBeUndefined();
    expect(conditionTypes(job)).toEqual(['FailureTarget:BackoffLimitExceeded', 'Failed:BackoffLimitExceeded']);
    expect(job.status.conditions[1].message).toBe('Job has reached the specified backoff limit');
    expect(podsOf('backoff').map((pod) => pod.status.phase)).toEqual(['Failed', 'Failed', 'Failed']);
    expect(sim.list('events', 'default').some((e) => e.involvedObject.name === 'backoff' && e.reason === 'BackoffLimitExceeded' && e.type === 'Warning')).toBe(true);
  });

  it('fails with DeadlineExceeded at activeDeadlineSeconds and stops the pod', async () => {
    const pods = await watch(sim, '/api/v1/namespaces/default/pods?watch=true&labelSelector=job-name%3Ddeadline');
    await call(sim, 'POST', JOBS, { body: jobManifest('deadline', 'mstc/sleep', { spec: { activeDeadlineSeconds: 4 } }) });
    await eventually(() => podsOf('deadline')[0]?.status?.phase === 'Running', 5000, 'the pod to run');
    const job = await finished('deadline', 'Failed');
    expect(conditionTypes(job)).toEqual(['FailureTarget:DeadlineExceeded', 'Failed:DeadlineExceeded']);
    expect(job.status.conditions[1].message).toBe('Job was active longer than specified deadline');
    expect(job.status).toMatchObject({ failed: 1, terminating: 0 });
    // The controller deleted the pod: its last state arrives with the DELETED event.
    const { object: pod } = await pods.next((e) => e.type === 'DELETED');
    pods.close();
    expect(pod.status.phase).toBe('Failed');
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
  });

  it('creates no pods while suspended, and runs once resumed', async () => {
    await call(sim, 'POST', JOBS, { body: jobManifest('suspended', 'kube-sim/sleep-exit', { spec: { suspend: true } }) });
    await eventually(() => hasCondition(sim.get('jobs', 'default', 'suspended'), 'Suspended'), 2000, 'the Suspended condition');
    expect(podsOf('suspended')).toHaveLength(0);
    await call(sim, 'PATCH', `${JOBS}/suspended`, { contentType: 'application/merge-patch+json', body: { spec: { suspend: false } } });
    const job = await finished('suspended');
    expect(job.status.conditions.find((c: any) => c.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'JobResumed' });
  });

  it('deletes the pods of a Job that gets suspended', async () => {
    await call(sim, 'POST', JOBS, { body: jobManifest('pausing', 'kube-sim/sleep-forever') });
    await eventually(() => podsOf('pausing')[0]?.status?.phase === 'Running', 3000, 'the pod to run');
    await call(sim, 'PATCH', `${JOBS}/pausing`, { contentType: 'application/merge-patch+json', body: { spec: { suspend: true } } });
    await eventually(() => podsOf('pausing').length === 0, 3000, 'the pod to go');
    expect(sim.get('jobs', 'default', 'pausing').status.active).toBeUndefined();
  });

  it('replaces a pod deleted while it runs', async () => {
    await call(sim, 'POST', JOBS, { body: jobManifest('replaced', 'kube-sim/sleep-forever') });
    await eventually(() => podsOf('replaced')[0]?.status?.phase === 'Running', 3000, 'the pod to run');
    const first = podsOf('replaced')[0].metadata.name;
    await call(sim, 'DELETE', `/api/v1/namespaces/default/pods/${first}`);
    await eventually(() => podsOf('replaced').some((pod) => pod.metadata.name !== first && pod.status?.phase === 'Running'), 3000, 'a replacement to run');
    await eventually(() => sim.get('jobs', 'default', 'replaced').status.failed === 1, 3000, 'the deleted pod to count as failed');
  });

  describe('ttlSecondsAfterFinished', () => {
    it('deletes the Job and its pods that long after it finished', async () => {
      await call(sim, 'POST', JOBS, { body: jobManifest('ttl', 'kube-sim/sleep-exit', { spec: { ttlSecondsAfterFinished: 2 } }) });
      const job = await finished('ttl');
      const completedAt = Date.now();
      await eventually(() => sim.get('jobs', 'default', 'ttl') === undefined && podsOf('ttl').length === 0, 3000, 'the Job and pod to vanish');
      expect(Date.now() - completedAt).toBeGreaterThanOrEqual(50);
      expect(job.spec.ttlSecondsAfterFinished).toBe(2);
    });

    it('applies a TTL lowered after the Job finished at once', async () => {
      await call(sim, 'POST', JOBS, { body: jobManifest('ttl-late', 'kube-sim/sleep-exit', { spec: { ttlSecondsAfterFinished: 10_000 } }) });
      await finished('ttl-late');
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(sim.get('jobs', 'default', 'ttl-late')).toBeDefined();
      const patched = await call(sim, 'PATCH', `${JOBS}/ttl-late`, { contentType: 'application/json-patch+json', body: [{ op: 'replace', path: '/spec/ttlSecondsAfterFinished', value: 2 }] });
      expect(patched.status).toBe(200);
      await eventually(() => sim.get('jobs', 'default', 'ttl-late') === undefined, 1000, 'the Job to be deleted promptly');
    });

    it('deletes in the foreground and respects finalizers', async () => {
      await call(sim, 'POST', JOBS, { body: { ...jobManifest('ttl-held', 'kube-sim/sleep-exit', { spec: { ttlSecondsAfterFinished: 0 } }), metadata: { name: 'ttl-held', finalizers: ['example.com/keep-log'] } } });
      await eventually(() => sim.get('jobs', 'default', 'ttl-held')?.metadata.deletionTimestamp, 3000, 'the TTL to delete the Job');
      expect(sim.get('jobs', 'default', 'ttl-held').metadata.finalizers).toContain('example.com/keep-log');
      await eventually(() => podsOf('ttl-held').length === 0, 3000, 'the pods to go first');
      await call(sim, 'PATCH', `${JOBS}/ttl-held`, { contentType: 'application/json-patch+json', body: [{ op: 'remove', path: '/metadata/finalizers/0' }] });
      await eventually(() => sim.get('jobs', 'default', 'ttl-held') === undefined, 2000, 'the Job to go once released');
    });
  });
});
