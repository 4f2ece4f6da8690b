import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startKubeSim, type KubeSim } from './index.js';
import { call, eventually, JOBS, jobManifest, SECRETS } from './spec-helpers.js';

describe('ownerReferences and propagation policies', () => {
  let sim: KubeSim;
  beforeAll(async () => {
    sim = await startKubeSim();
  });
  afterAll(() => sim.stop());

  async function ownerAndDependent(owner: string, dependent: string, dependentFinalizers?: string[]): Promise<any> {
    const created = (await call(sim, 'POST', SECRETS, { body: { metadata: { name: owner } } })).body;
    const ref = { apiVersion: 'v1', kind: 'Secret', name: owner, uid: created.metadata.uid, blockOwnerDeletion: true };
    await call(sim, 'POST', SECRETS, { body: { metadata: { name: dependent, ownerReferences: [ref], ...(dependentFinalizers ? { finalizers: dependentFinalizers } : {}) } } });
    return created;
  }

  it('Background: the owner goes at once, the garbage collector deletes its dependents', async () => {
    await ownerAndDependent('bg-owner', 'bg-dependent');
    const reply = await call(sim, 'DELETE', `${SECRETS}/bg-owner`, { body: { propagationPolicy: 'Background' } });
    expect(reply.body).toMatchObject({ kind: 'Status', status: 'Success' });
    expect(sim.get('secrets', 'default', 'bg-owner')).toBeUndefined();
    await eventually(() => sim.get('secrets', 'default', 'bg-dependent') === undefined, 2000, 'the dependent to be collected');
  });

  it('Foreground: the owner waits with foregroundDeletion until blocking dependents are gone', async () => {
    await ownerAndDependent('fg-owner', 'fg-dependent', ['example.com/slow']);
    const reply = await call(sim, 'DELETE', `${SECRETS}/fg-owner?propagationPolicy=Foreground`);
    expect(reply.body.metadata).toMatchObject({ finalizers: ['foregroundDeletion'], deletionTimestamp: expect.any(String) });
    await eventually(() => sim.get('secrets', 'default', 'fg-dependent')?.metadata.deletionTimestamp, 2000, 'the dependent to be deleting');
    expect(sim.get('secrets', 'default', 'fg-owner')).toBeDefined();
    await call(sim, 'PATCH', `${SECRETS}/fg-dependent`, { contentType: 'application/merge-patch+json', body: { metadata: { finalizers: null } } });
    await eventually(() => sim.get('secrets', 'default', 'fg-owner') === undefined, 2000, 'the owner to go');
  });

  it('Orphan: dependents lose their ownerReference and stay', async () => {
    await ownerAndDependent('or-owner', 'or-dependent');
    await call(sim, 'DELETE', `${SECRETS}/or-owner`, { body: { propagationPolicy: 'Orphan' } });
    await eventually(() => sim.get('secrets', 'default', 'or-owner') === undefined, 2000, 'the owner to go');
    expect(sim.get('secrets', 'default', 'or-dependent')?.metadata.ownerReferences).toBeUndefined();
  });

  it('collects an object whose owner does not exist', async () => {
    const ref = { apiVersion: 'v1', kind: 'Secret', name: 'ghost', uid: '00000000-0000-0000-0000-000000000000' };
    await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'dangling', ownerReferences: [ref] } } });
    await eventually(() => sim.get('secrets', 'default', 'dangling') === undefined, 2000, 'the dangling object to be collected');
  });

  describe('Jobs', () => {
    const podsOf = (job: string) => sim.list('pods', 'default').filter((pod) => pod.metadata.labels?.['job-name'] === job);
    const running = (job: string) => eventually(() => podsOf(job).some((pod) => pod.status?.phase === 'Running'), 5000, `a pod of ${job} to run`);

    it('orphans pods when no policy is given, as batch/v1 does, with a warning', async () => {
      await call(sim, 'POST', JOBS, { body: jobManifest('orphaning', 'kube-sim/sleep-forever') });
      await running('orphaning');
      const reply = await call(sim, 'DELETE', `${JOBS}/orphaning`);
      expect(reply.headers.get('warning')).toContain('child pods are preserved by default when jobs are deleted');
      await eventually(() => sim.get('jobs', 'default', 'orphaning') === undefined, 2000, 'the Job to go');
      await eventually(() => podsOf('orphaning')[0]?.metadata.ownerReferences === undefined && !podsOf('orphaning')[0]?.metadata.finalizers, 2000, 'the pod to be orphaned');
      expect(podsOf('orphaning')[0].status.phase).toBe('Running');
      await call(sim, 'DELETE', `/api/v1/namespaces/default/pods/${podsOf('orphaning')[0].metadata.name}`);
    });

    it('deletes pods with Background, after the Job is gone', async () => {
      await call(sim, 'POST', JOBS, { body: jobManifest('background', 'kube-sim/sleep-forever') });
      await running('background');
      await call(sim, 'DELETE', `${JOBS}/background`, { body: { propagationPolicy: 'Background' } });
      expect(sim.get('jobs', 'default', 'background')).toBeUndefined();
      await eventually(() => podsOf('background').length === 0, 3000, 'the pods to go');
    });

    it('keeps the Job until its pods are gone with Foreground', async () => {
      await call(sim, 'POST', JOBS, { body: jobManifest('foreground', 'kube-sim/sleep-forever') });
      await running('foreground');
      await call(sim, 'DELETE', `${JOBS}/foreground`, { body: { propagationPolicy: 'Foreground' } });
      expect(sim.get('jobs', 'default', 'foreground')?.metadata.finalizers).toEqual(['foregroundDeletion']);
      await eventually(() => podsOf('foreground').length === 0 && sim.get('jobs', 'default', 'foreground') === undefined, 3000, 'the pods, then the Job, to go');
    });
  });
});
