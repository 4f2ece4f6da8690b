import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobRecord } from '@app/contracts';
import { randomUUID } from 'node:crypto';
import { ApiClient } from './support/http.js';
import { eventually, pythonTestImage, TEST_ADMIN_TOKEN, TestSystem } from './support/system.js';

describe('the core flow over HTTP', () => {
  let system: TestSystem;
  let api: ApiClient;

  beforeAll(async () => {
    system = await TestSystem.start({
      // One minute of timeOut lasts one second here, so time-outs can be tested.
      env: { TIME_OUT_UNIT_SECONDS: '1' },
      sim: { images: pythonTestImage(0.3) },
    });
    api = new ApiClient(() => system.apiUrl);
  });
  afterAll(() => system?.stop());

  async function submit(body: unknown): Promise<{ status: number; location: string | null; record: JobRecord }> {
    const answer = await api.submit(body);
    return { status: answer.status, location: answer.headers.get('location'), record: answer.body };
  }

  const ended = (id: string) => api.untilStatus(id);

  it('runs mstc/python-test to success and stores its log with the bucket variables', async () => {
    const { status, location, record } = await submit({ image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'test.inputs', prefix: 'run-1' });
    expect(status).toBe(202);
    expect(location).toBe(`/jobs/${record.id}`);
    expect(record).toMatchObject({ status: 'queued', jobName: `test-job-${record.id}`, outputBucket: 'test.inputs', logObject: null });

    const done = await ended(record.id);
    expect(done).toMatchObject({ status: 'succeeded', exitCode: 0, reason: null, logObject: `run-1-test-job-${record.id}.log` });
    expect(Date.parse(done.queuedAt)).toBeLessThanOrEqual(Date.parse(done.startedAt!));
    expect(Date.parse(done.startedAt!)).toBeLessThanOrEqual(Date.parse(done.finishedAt!));

    const log = await system.objectText('test.inputs', done.logObject!);
    expect(log).toContain('Started');
    expect(log).toContain('INPUT_BUCKET: test.inputs');
    expect(log).toContain('OUTPUT_BUCKET: test.inputs');
    expect(log).toContain('FILE_PREFIX: run-1');
    expect(log).toContain(`MINIO_SERVICE_HOST: ${system.s3.host}`);
    expect(log).toContain('SUCCESS');

    // Released to its TTL once collected (right after the end is recorded and announced).
    const job = await eventually(() => {
      const current = system.sim.get('jobs', 'default', done.jobName);
      return current?.metadata?.annotations?.['cloud-worker.io/collected-by'] && current;
    }, 5000, 'the Job to be collected');
    expect(job.metadata.annotations['cloud-worker.io/collected-by']).toBe('worker-1');
    expect(job?.spec?.ttlSecondsAfterFinished).toBe(30);
  });

  it('makes three Kubernetes API requests per Job (the issue allows four) and holds one watch', async () => {
    system.sim.clearRequests();
    const { record } = await submit({ image: 'mstc/python-test', jobName: 'counted', inputBucket: 'test.inputs' });
    const done = await ended(record.id);
    await eventually(() => system.sim.get('jobs', 'default', done.jobName)?.metadata?.annotations?.['cloud-worker.io/collected-by'], 5000, 'the Job to be collected');
    // This Job's requests only: the one before may still be being released.
    const perJob = system.sim.requests.filter((request) => request.name?.startsWith(done.jobName) && (request.resource === 'jobs' || request.resource === 'pods'));
    expect(perJob.map((request) => `${request.verb} ${request.resource}${request.subresource ? `/${request.subresource}` : ''}`)).toEqual([
      'create jobs',
      'get pods/log',
      'patch jobs',
    ]);
    expect(system.sim.openWatchCount()).toBe(1);
  });

  it('does not run a request twice when the same id is submitted again', async () => {
    const id = randomUUID();
    const body = { id, image: 'mstc/python-test', jobName: 'twice', inputBucket: 'test.inputs' };
    const first = await submit(body);
    const second = await submit(body);
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.record.id).toBe(id);
    await ended(id);
    const third = await submit(body);
    expect(third).toMatchObject({ status: 200, record: { status: 'succeeded' } });
    expect(system.sim.list('jobs', 'default').filter((job) => job.metadata.name === `twice-${id}`)).toHaveLength(1);
  });

  it('refuses a different request under an id already used', async () => {
    const id = randomUUID();
    await submit({ id, image: 'mstc/python-test', jobName: 'first', inputBucket: 'test.inputs' });
    const response = await api.request<{ message: string }>('POST', '/jobs', { id, image: 'mstc/python-test', jobName: 'second', inputBucket: 'test.inputs' });
    expect(response.status).toBe(409);
    expect(response.body.message).toContain(id);
  });

  it('turns the objects of an input bucket into a result object in a separate output bucket', async () => {
    await system.s3Client.makeBucket('copy.inputs');
    await system.s3Client.putObject('copy.inputs', 'a.txt', 'alpha', 5);
    await system.s3Client.putObject('copy.inputs', 'b.txt', 'bravo!', 6);
    const { record } = await submit({ image: 'mstc/bucket-copy', jobName: 'copy', inputBucket: 'copy.inputs', outputBucket: 'copy.outputs', prefix: 'p7' });
    const done = await ended(record.id);
    expect(done.status).toBe('succeeded');
    const names: string[] = [];
    for await (const item of system.s3Client.listObjectsV2('copy.outputs', '', true)) names.push((item as { name: string }).name);
    expect(names).toEqual(expect.arrayContaining([`p7-copy-${record.id}.log`, `p7-copy-${record.id}.manifest.json`]));
    // The result object is the Job's one output.
    expect(done.outputs?.map((output) => output.name)).toEqual(['p7-result.json']);
    const result = 'p7-result.json';
    expect(names).toContain(result);
    const summary = await system.objectText('copy.outputs', result);
    expect(summary).toContain('a.txt');
    expect(summary).toContain('b.txt');
  });

  it('ends a non-zero exit as failed with its exit code and keeps stderr in the log', async () => {
    const { record } = await submit({ image: 'mstc/fail', jobName: 'failing', inputBucket: 'test.inputs' });
    const done = await ended(record.id);
    expect(done).toMatchObject({ status: 'failed', exitCode: 3, reason: 'Error' });
    const log = await system.objectText('test.inputs', done.logObject!);
    expect(log).toContain('error: mstc/fail failing on purpose with exit code 3');
  });

  it('times out a Job that runs past its timeOut and deletes it', async () => {
    const { record } = await submit({ image: 'mstc/sleep', jobName: 'sleepy', inputBucket: 'test.inputs', timeOut: 2 });
    const done = await ended(record.id);
    expect(done).toMatchObject({ status: 'timed_out', reason: 'DeadlineExceeded' });
    // The worker counts the 2 s from the Job's creation, a moment before the record is marked started.
    expect(Date.parse(done.finishedAt!) - Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(1500);
    await eventually(() => system.sim.get('jobs', 'default', done.jobName) === undefined, 10_000, 'the Job to be deleted');
    const deletes = system.sim.requests.filter((r) => r.verb === 'delete' && r.name === done.jobName);
    expect(deletes).toHaveLength(1);
    expect(deletes[0].query).toMatchObject({ propagationPolicy: 'Background' });
    expect(await system.objectText('test.inputs', done.logObject!)).toContain('Started, sleeping until killed');
  });

  it('fails fast when the image cannot be pulled', async () => {
    const started = Date.now();
    const { record } = await submit({ image: 'registry.example.com/nope/missing:1.0', jobName: 'missing', inputBucket: 'test.inputs', timeOut: 60 });
    const done = await ended(record.id);
    expect(done.status).toBe('failed');
    expect(['ErrImagePull', 'ImagePullBackOff']).toContain(done.reason);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await system.objectText('test.inputs', done.logObject!)).toContain(done.reason!);
    await eventually(() => system.sim.get('jobs', 'default', done.jobName) === undefined, 10_000, 'the Job to be deleted');
  });

  it('answers 404 for an unknown job and 400 for an id that is not a UUID', async () => {
    expect((await api.request('GET', `/jobs/${randomUUID()}`)).status).toBe(404);
    expect((await api.request('GET', '/jobs/not-a-uuid')).status).toBe(400);
  });

  describe('bad requests', () => {
    const good = { image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'test.inputs' };

    it.each([
      [{ jobName: 'test-job', inputBucket: 'test.inputs' }, 'image', 'image is required'],
      [{ image: 'mstc/python-test', inputBucket: 'test.inputs' }, 'jobName', 'jobName is required'],
      [{ image: 'mstc/python-test', jobName: 'test-job' }, 'inputBucket', 'inputBucket is required'],
      [{ ...good, jobName: 'Test_Job' }, 'jobName', 'lowercase RFC 1123 label'],
      [{ ...good, jobName: 'a'.repeat(27) }, 'jobName', '1 to 26 characters'],
      [{ ...good, inputBucket: 'In_Bucket' }, 'inputBucket', 'S3 bucket naming rules'],
      [{ ...good, outputBucket: 'x' }, 'outputBucket', '3 to 63 characters'],
      [{ ...good, timeOut: -5 }, 'timeOut', '0 or more'],
      [{ ...good, image: 'not an image!' }, 'image', 'OCI image reference'],
    ])('refuses %j naming %s', async (body, field, rule) => {
      const before = system.s3.requests.length;
      const response = await api.request<{ message: string; errors: Array<{ field: string; message: string }> }>('POST', '/jobs', body);
      expect(response.status).toBe(400);
      const error = response.body;
      expect(error.errors.map((e) => e.field)).toEqual([field]);
      expect(error.message).toContain(rule);
      expect(system.s3.requests.slice(before).filter((r) => r.startsWith('PUT'))).toEqual([]);
    });

    it('refuses a body that is not JSON', async () => {
      const response = await fetch(`${system.apiUrl}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, body: '{"image": "x",' });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(/not valid JSON/);
    });

    it('refuses a body over the size limit', async () => {
      const response = await api.request<{ message: string }>('POST', '/jobs', { ...good, padding: 'x'.repeat(70 * 1024) });
      expect(response.status).toBe(413);
      expect(response.body.message).toMatch(/larger than the limit of 65536 bytes/);
    });
  });
});
