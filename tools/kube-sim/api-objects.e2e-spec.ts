import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startKubeSim, type KubeSim } from './index.js';
import { call, eventually, JOBS, jobManifest, SECRETS } from './spec-helpers.js';

const KUBECTL_CREATE_JOB_BODY =
  'azhzAAoPCghiYXRjaC92MRIDSm9iEoEBChEKAXgSABoAIgAqADIAOABCABJiMmAKEAoAEgAaACIAKgAyADgAQgASTBIpCgF4EhBtc3RjL3B5dGhvbi10ZXN0KgBCAGoAcgCAAQCIAQCQAQCiAQAaBU5ldmVyMgBCAEoAUgBYAGAAaACCAQCKAQCaAQDCAQAaCCAAKAAwADoAGgAiAA==';

describe('API objects over HTTP', () => {
  let sim: KubeSim;
  beforeAll(async () => {
    // Pods stay pending: these tests are about the API, not the controllers.
    sim = await startKubeSim({ timing: { scheduleMs: 60_000 } });
  });
  afterAll(() => sim.stop());

  describe('discovery', () => {
    it('reports version 1.32, which kubectl dispatches on', async () => {
      expect((await call(sim, 'GET', '/version?timeout=5s')).body).toMatchObject({ major: '1', minor: '32' });
    });

    it('answers aggregated discovery with its content type when asked, legacy otherwise', async () => {
      const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
      const aggregated = await call(sim, 'GET', '/apis', { accept });
      expect(aggregated.headers.get('content-type')).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
      expect(aggregated.body.items[0]).toMatchObject({ metadata: { name: 'batch' }, versions: [{ version: 'v1', resources: [expect.objectContaining({ resource: 'jobs', scope: 'Namespaced' })] }] });
      const core = await call(sim, 'GET', '/api', { accept });
      expect(core.body.items[0].versions[0].resources.map((r: any) => r.resource)).toEqual(['events', 'namespaces', 'pods', 'secrets']);
      expect((await call(sim, 'GET', '/apis')).body).toMatchObject({ kind: 'APIGroupList', groups: [{ name: 'batch' }] });
      expect((await call(sim, 'GET', '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    });

    it('lists resources and subresources per group-version', async () => {
      const v1 = await call(sim, 'GET', '/api/v1');
      expect(v1.body.resources.map((r: any) => r.name)).toEqual(expect.arrayContaining(['pods', 'pods/log', 'pods/status', 'secrets', 'events', 'namespaces']));
      const batch = await call(sim, 'GET', '/apis/batch/v1');
      expect(batch.body).toMatchObject({ kind: 'APIResourceList', groupVersion: 'batch/v1', resources: [{ name: 'jobs', kind: 'Job', namespaced: true }, { name: 'jobs/status' }] });
      expect((await call(sim, 'GET', '/apis/batch')).body).toMatchObject({ kind: 'APIGroup', name: 'batch' });
    });

    it('serves the OpenAPI v3 documents kubectl apply reads, with fieldValidation on patch', async () => {
      const index = await call(sim, 'GET', '/openapi/v3');
      const url: string = index.body.paths['apis/batch/v1'].serverRelativeURL;
      const doc = await call(sim, 'GET', url);
      const patch = doc.body.paths['/apis/batch/v1/namespaces/{namespace}/jobs/{name}'].patch;
      expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'batch', version: 'v1', kind: 'Job' });
      expect(patch.parameters.map((p: any) => p.name)).toContain('fieldValidation');
    });

    it('answers unknown paths with a 404 Status', async () => {
      const reply = await call(sim, 'GET', '/apis/apps/v1/deployments');
      expect(reply.status).toBe(404);
      expect(reply.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
    });
  });

  describe('errors as Status objects', () => {
    it('400 for a body that is not JSON', async () => {
      const reply = await call(sim, 'POST', JOBS, { body: '{"kind": "Job",' });
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    });

    it('404 with details for a missing object', async () => {
      const reply = await call(sim, 'GET', `${JOBS}/missing`);
      expect(reply.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'jobs.batch "missing" not found',
        reason: 'NotFound',
        details: { name: 'missing', group: 'batch', kind: 'jobs' },
        code: 404,
      });
    });

    it('409 AlreadyExists for a second object of the same name', async () => {
      expect((await call(sim, 'POST', JOBS, { body: jobManifest('twice') })).status).toBe(201);
      const reply = await call(sim, 'POST', JOBS, { body: jobManifest('twice') });
      expect(reply.body).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'jobs.batch "twice" already exists' });
    });

    it('422 Invalid for a name that is not DNS-1123, with causes', async () => {
      const reply = await call(sim, 'POST', JOBS, { body: jobManifest('Not_Valid') });
      expect(reply.status).toBe(422);
      expect(reply.body.message).toMatch(/^Job\.batch "Not_Valid" is invalid: metadata\.name: Invalid value: "Not_Valid": a lowercase RFC 1123 subdomain/);
      expect(reply.body.details).toMatchObject({ name: 'Not_Valid', group: 'batch', kind: 'Job', causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name' }] });
    });

    it('422 Invalid for missing required fields', async () => {
      const manifest: any = jobManifest('nothing-to-run');
      manifest.spec.template.spec.containers = [];
      const reply = await call(sim, 'POST', JOBS, { body: manifest });
      expect(reply.body).toMatchObject({ code: 422, message: 'Job.batch "nothing-to-run" is invalid: spec.template.spec.containers: Required value' });
      const unnamed = await call(sim, 'POST', JOBS, { body: { metadata: {}, spec: {} } });
      expect(unnamed.body.message).toContain('metadata.name: Required value: name or generateName is required');
    });

    it('404 for a namespace that does not exist', async () => {
      const reply = await call(sim, 'POST', '/apis/batch/v1/namespaces/nowhere/jobs', { body: jobManifest('x') });
      expect(reply.body).toMatchObject({ code: 404, message: 'namespaces "nowhere" not found' });
    });

    it('rejects unknown fields under fieldValidation=Strict, warns and drops them otherwise', async () => {
      const manifest: any = jobManifest('strict');
      manifest.spec.foo = 1;
      const strict = await call(sim, 'POST', `${JOBS}?fieldValidation=Strict`, { body: manifest });
      expect(strict.body).toMatchObject({ code: 400, message: 'Job in version "v1" cannot be handled as a Job: strict decoding error: unknown field "spec.foo"' });
      const warned = await call(sim, 'POST', JOBS, { body: manifest });
      expect(warned.status).toBe(201);
      expect(warned.headers.get('warning')).toBe('299 - "unknown field \\"spec.foo\\""');
      expect(warned.body.spec.foo).toBeUndefined();
    });

    it('400 for a value of the wrong type', async () => {
      const reply = await call(sim, 'POST', JOBS, { body: { ...jobManifest('typed'), spec: { ...jobManifest('typed').spec, backoffLimit: 'six' } } });
      expect(reply.body).toMatchObject({ code: 400, message: expect.stringContaining('cannot unmarshal string into Go struct field JobSpec.spec.backoffLimit of type int32') });
    });
  });

  describe('object metadata', () => {
    it('assigns uid, creationTimestamp, generation, and one monotonic resourceVersion across resources', async () => {
      const secret = (await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'rv-a' } } })).body;
      const job = (await call(sim, 'POST', JOBS, { body: jobManifest('rv-b') })).body;
      expect(Number(job.metadata.resourceVersion)).toBeGreaterThan(Number(secret.metadata.resourceVersion));
      expect(job.metadata).toMatchObject({ uid: expect.stringMatching(/^[0-9a-f-]{36}$/), creationTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), generation: 1 });
      const list = await call(sim, 'GET', SECRETS);
      expect(Number(list.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(job.metadata.resourceVersion));
      expect(list.body).toMatchObject({ kind: 'SecretList', apiVersion: 'v1' });
    });

    it('generates names from generateName', async () => {
      const reply = await call(sim, 'POST', SECRETS, { body: { metadata: { generateName: 'gen-' } } });
      expect(reply.body.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    });

    it('bumps generation on spec changes only', async () => {
      await call(sim, 'POST', JOBS, { body: jobManifest('gen', 'kube-sim/sleep-exit', { spec: { suspend: true } }) });
      const labelled = await call(sim, 'PATCH', `${JOBS}/gen`, { body: { metadata: { labels: { a: 'b' } } }, contentType: 'application/merge-patch+json' });
      expect(labelled.body.metadata.generation).toBe(1);
      const resumed = await call(sim, 'PATCH', `${JOBS}/gen`, { body: { spec: { suspend: false } }, contentType: 'application/merge-patch+json' });
      expect(resumed.body.metadata.generation).toBe(2);
    });
  });

  describe('lists', () => {
    beforeAll(async () => {
      for (const [name, tier] of [['page-1', 'a'], ['page-2', 'b'], ['page-3', 'a'], ['page-4', 'c'], ['page-5', 'b']]) {
        await call(sim, 'POST', SECRETS, { body: { metadata: { name, labels: { paged: 'yes', tier } } } });
      }
    });

    it('pages with limit and continue', async () => {
      const first = await call(sim, 'GET', `${SECRETS}?labelSelector=paged&limit=2`);
      expect(first.body.items.map((s: any) => s.metadata.name)).toEqual(['page-1', 'page-2']);
      const second = await call(sim, 'GET', `${SECRETS}?labelSelector=paged&limit=2&continue=${first.body.metadata.continue}`);
      expect(second.body.items.map((s: any) => s.metadata.name)).toEqual(['page-3', 'page-4']);
      expect(second.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
      const third = await call(sim, 'GET', `${SECRETS}?labelSelector=paged&limit=2&continue=${second.body.metadata.continue}`);
      expect(third.body.items.map((s: any) => s.metadata.name)).toEqual(['page-5']);
      expect(third.body.metadata.continue).toBeUndefined();
      expect((await call(sim, 'GET', `${SECRETS}?limit=1`)).body.metadata.remainingItemCount).toBeGreaterThan(0);
      expect((await call(sim, 'GET', `${SECRETS}?limit=1&continue=garbage`)).status).toBe(400);
    });

    it('pages across namespaces in etcd key order, where "pg-x/" sorts before "pg/"', async () => {
      for (const namespace of ['pg', 'pg-x']) {
        await call(sim, 'POST', '/api/v1/namespaces', { body: { metadata: { name: namespace } } });
        await call(sim, 'POST', `/api/v1/namespaces/${namespace}/secrets`, { body: { metadata: { name: 's', labels: { across: 'yes' } } } });
      }
      const keys: string[] = [];
      let token = '';
      do {
        const page = await call(sim, 'GET', `/api/v1/secrets?labelSelector=across&limit=1${token && `&continue=${token}`}`);
        keys.push(...page.body.items.map((s: any) => `${s.metadata.namespace}/${s.metadata.name}`));
        token = page.body.metadata.continue ?? '';
      } while (token);
      expect(keys).toEqual(['pg-x/s', 'pg/s']);
    });

    it('filters with equality and set-based label selectors', async () => {
      const names = async (selector: string) => (await call(sim, 'GET', `${SECRETS}?labelSelector=${encodeURIComponent(selector)}`)).body.items.map((s: any) => s.metadata.name);
      expect(await names('paged=yes,tier=a')).toEqual(['page-1', 'page-3']);
      expect(await names('tier in (b,c)')).toEqual(['page-2', 'page-4', 'page-5']);
      expect(await names('paged,tier notin (a,b)')).toEqual(['page-4']);
      expect(await names('tier!=a,paged')).toEqual(['page-2', 'page-4', 'page-5']);
      expect((await call(sim, 'GET', `${SECRETS}?labelSelector=${encodeURIComponent('a b c')}`)).status).toBe(400);
    });

    it('filters with fieldSelector=metadata.name and refuses unsupported fields', async () => {
      const reply = await call(sim, 'GET', `${SECRETS}?fieldSelector=metadata.name%3Dpage-2`);
      expect(reply.body.items.map((s: any) => s.metadata.name)).toEqual(['page-2']);
      expect((await call(sim, 'GET', `${SECRETS}?fieldSelector=spec.nope%3D1`)).body).toMatchObject({ code: 400, message: 'field label not supported: spec.nope' });
    });

    it('lists across namespaces', async () => {
      const reply = await call(sim, 'GET', '/api/v1/secrets?labelSelector=paged');
      expect(reply.body.items).toHaveLength(5);
    });

    it('deletes a collection by selector', async () => {
      const reply = await call(sim, 'DELETE', `${SECRETS}?labelSelector=tier%3Dc`);
      expect(reply.body.items.map((s: any) => s.metadata.name)).toEqual(['page-4']);
      expect(sim.get('secrets', 'default', 'page-4')).toBeUndefined();
    });
  });

  describe('updates and patches', () => {
    it('answers 409 Conflict to a PUT with a stale resourceVersion, accepts a current or absent one', async () => {
      const created = (await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'cas' }, stringData: { a: '1' } } })).body;
      const first = await call(sim, 'PUT', `${SECRETS}/cas`, { body: { ...created, data: { a: 'Mg==' } } });
      expect(first.status).toBe(200);
      const stale = await call(sim, 'PUT', `${SECRETS}/cas`, { body: { ...created, data: { a: 'Mw==' } } });
      expect(stale.body).toMatchObject({
        code: 409,
        reason: 'Conflict',
        message: 'Operation cannot be fulfilled on secrets "cas": the object has been modified; please apply your changes to the latest version and try again',
      });
      const unconditional = await call(sim, 'PUT', `${SECRETS}/cas`, { body: { metadata: { name: 'cas' }, data: { a: 'NA==' } } });
      expect(unconditional.body.data).toEqual({ a: 'NA==' });
    });

    it('applies JSON patch atomically and answers 422 to a failed test', async () => {
      await call(sim, 'POST', JOBS, { body: jobManifest('patched', 'kube-sim/sleep-exit', { labels: { owner: 'none' } }) });
      const failed = await call(sim, 'PATCH', `${JOBS}/patched`, {
        contentType: 'application/json-patch+json',
        body: [
          { op: 'add', path: '/metadata/annotations', value: { claimed: 'yes' } },
          { op: 'test', path: '/metadata/labels/owner', value: 'someone' },
        ],
      });
      expect(failed.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server rejected our request due to an error in our request',
        reason: 'Invalid',
        details: { causes: [{ message: 'testing value /metadata/labels/owner failed: test failed' }] },
        code: 422,
      });
      expect(sim.get('jobs', 'default', 'patched').metadata.annotations).toBeUndefined();
      const passed = await call(sim, 'PATCH', `${JOBS}/patched`, {
        contentType: 'application/json-patch+json',
        body: [
          { op: 'test', path: '/metadata/labels/owner', value: 'none' },
          { op: 'replace', path: '/metadata/labels/owner', value: 'me' },
          { op: 'add', path: '/spec/ttlSecondsAfterFinished', value: 30 },
        ],
      });
      expect(passed.body.metadata.labels.owner).toBe('me');
      expect(passed.body.spec.ttlSecondsAfterFinished).toBe(30);
    });

    it('applies merge and strategic merge patches', async () => {
      const merged = await call(sim, 'PATCH', `${JOBS}/patched`, { contentType: 'application/merge-patch+json', body: { metadata: { annotations: { a: '1' } } } });
      expect(merged.body.metadata.annotations).toEqual({ a: '1' });
      const strategic = await call(sim, 'PATCH', `${JOBS}/patched`, {
        contentType: 'application/strategic-merge-patch+json',
        body: { metadata: { finalizers: ['example.com/keep'], annotations: { a: null, b: '2' } } },
      });
      expect(strategic.body.metadata).toMatchObject({ annotations: { b: '2' }, finalizers: ['example.com/keep'] });
      await call(sim, 'PATCH', `${JOBS}/patched`, { contentType: 'application/json-patch+json', body: [{ op: 'remove', path: '/metadata/finalizers' }] });
    });

    it('refuses immutable Job fields with 422, unsupported patch types with 415', async () => {
      const reply = await call(sim, 'PATCH', `${JOBS}/patched`, {
        contentType: 'application/strategic-merge-patch+json',
        body: { spec: { template: { spec: { containers: [{ name: 'main', image: 'other' }] } } } },
      });
      expect(reply.body).toMatchObject({ code: 422, reason: 'Invalid', message: expect.stringMatching(/spec\.template: Invalid value: .*: field is immutable/) });
      const selector = await call(sim, 'PATCH', `${JOBS}/patched`, { contentType: 'application/merge-patch+json', body: { spec: { selector: { matchLabels: { x: 'y' } } } } });
      expect(selector.body.message).toMatch(/spec\.selector: Invalid value: .*: field is immutable/);
      expect((await call(sim, 'PATCH', `${JOBS}/patched`, { contentType: 'application/apply-patch+yaml', body: '{}' })).status).toBe(415);
    });

    it('separates the status subresource from the main resource', async () => {
      // The Job controller owns this status; paused, it leaves the test's writes alone.
      sim.faults.pauseControllers();
      const job = sim.get('jobs', 'default', 'patched');
      const viaMain = await call(sim, 'PUT', `${JOBS}/patched`, { body: { ...job, status: { active: 9 } } });
      expect(viaMain.body.status.active).not.toBe(9);
      const viaStatus = await call(sim, 'PATCH', `${JOBS}/patched/status`, { contentType: 'application/merge-patch+json', body: { metadata: { labels: { ignored: 'yes' } }, status: { ready: 7 } } });
      expect(viaStatus.body.status.ready).toBe(7);
      expect(viaStatus.body.metadata.labels.ignored).toBeUndefined();
      expect((await call(sim, 'GET', `${JOBS}/patched/status`)).body.status.ready).toBe(7);
      sim.faults.resumeControllers();
    });

    it('supports dry runs', async () => {
      const reply = await call(sim, 'POST', `${SECRETS}?dryRun=All`, { body: { metadata: { name: 'dry' } } });
      expect(reply.status).toBe(201);
      expect(sim.get('secrets', 'default', 'dry')).toBeUndefined();
    });
  });

  describe('finalizers', () => {
    it('keeps a deleted object with finalizers until they are removed', async () => {
      await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
      const deleted = await call(sim, 'DELETE', `${SECRETS}/held`);
      expect(deleted.status).toBe(200);
      expect(deleted.body.metadata.deletionTimestamp).toBeDefined();
      expect(sim.get('secrets', 'default', 'held')?.metadata.deletionTimestamp).toBeDefined();
      const more = await call(sim, 'PATCH', `${SECRETS}/held`, { contentType: 'application/merge-patch+json', body: { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } } });
      expect(more.body).toMatchObject({ code: 422, message: expect.stringContaining('no new finalizers can be added if the object is being deleted') });
      await call(sim, 'PATCH', `${SECRETS}/held`, { contentType: 'application/merge-patch+json', body: { metadata: { finalizers: null } } });
      expect(sim.get('secrets', 'default', 'held')).toBeUndefined();
    });
  });

  describe('secrets', () => {
    it('folds stringData into base64 data and validates keys', async () => {
      const created = await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'creds' }, stringData: { accessKey: 'minio' } } });
      expect(created.body).toMatchObject({ kind: 'Secret', type: 'Opaque', data: { accessKey: Buffer.from('minio').toString('base64') } });
      expect(created.body.stringData).toBeUndefined();
      expect((await call(sim, 'GET', `${SECRETS}/creds`)).body.data.accessKey).toBe('bWluaW8=');
      const bad = await call(sim, 'POST', SECRETS, { body: { metadata: { name: 'bad-key' }, stringData: { 'no/slash': 'x' } } });
      expect(bad.body).toMatchObject({ code: 422, message: expect.stringContaining('a valid config key must consist of alphanumeric characters') });
      expect((await call(sim, 'DELETE', `${SECRETS}/creds`)).body).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'creds', kind: 'secrets' } });
    });
  });

  describe('namespaces', () => {
    it('creates, lists and deletes namespaces with their content', async () => {
      expect((await call(sim, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'team-a' } } })).body).toMatchObject({ status: { phase: 'Active' }, metadata: { labels: { 'kubernetes.io/metadata.name': 'team-a' } } });
      expect((await call(sim, 'GET', '/api/v1/namespaces')).body.items.map((n: any) => n.metadata.name)).toEqual(expect.arrayContaining(['default', 'kube-system', 'team-a']));
      await call(sim, 'POST', '/api/v1/namespaces/team-a/secrets', { body: { metadata: { name: 's', finalizers: ['example.com/slow'] } } });
      const deleted = await call(sim, 'DELETE', '/api/v1/namespaces/team-a');
      expect(deleted.body.status.phase).toBe('Terminating');
      const refused = await call(sim, 'POST', '/api/v1/namespaces/team-a/secrets', { body: { metadata: { name: 't' } } });
      expect(refused.body).toMatchObject({ code: 403, reason: 'Forbidden', message: expect.stringContaining('unable to create new content in namespace team-a because it is being terminated') });
      await eventually(() => sim.get('secrets', 'team-a', 's')?.metadata.deletionTimestamp, 2000, 'the secret to be deleting');
      expect(sim.get('namespaces', undefined, 'team-a')).toBeDefined();
      await call(sim, 'PATCH', '/api/v1/namespaces/team-a/secrets/s', { contentType: 'application/merge-patch+json', body: { metadata: { finalizers: null } } });
      await eventually(() => sim.get('namespaces', undefined, 'team-a') === undefined, 2000, 'the namespace to go');
      expect((await call(sim, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'a.b' } } })).status).toBe(422);
    });
  });

  describe('protobuf', () => {
    it('accepts the protobuf body of kubectl create job', async () => {
      const reply = await call(sim, 'POST', `${JOBS}?fieldManager=kubectl-create&fieldValidation=Strict`, {
        contentType: 'application/vnd.kubernetes.protobuf',
        body: Buffer.from(KUBECTL_CREATE_JOB_BODY, 'base64'),
      });
      expect(reply.status).toBe(201);
      expect(reply.body).toMatchObject({ kind: 'Job', metadata: { name: 'x' }, spec: { template: { spec: { containers: [{ name: 'x', image: 'mstc/python-test' }], restartPolicy: 'Never' } } } });
    });
  });
});
