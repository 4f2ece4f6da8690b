import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ApiClient } from './support/http.js';
import { sample } from './support/prometheus.js';
import { AMQP_URL, eventually, pythonTestImage, TestSystem } from './support/system.js';
import { TcpProxy } from './support/tcp-proxy.js';


interface Health {
  status: string;
  details: Record<string, { status: string } & Record<string, unknown>>;
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

async function metrics(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

describe('operating the system', () => {
  let system: TestSystem;
  let api: ApiClient;
  let workerUrl: string;

  beforeAll(async () => {
    system = await TestSystem.start({ env: { KUBE_REQUEST_TIMEOUT_MS: '1500' }, sim: { images: pythonTestImage(0.2) } });
    api = new ApiClient(() => system.apiUrl);
    workerUrl = await system.workers[0].whenListening();
  });
  afterAll(() => system?.stop());

  it('reports both apps ready, with each dependency checked', async () => {
    const apiHealth = await getJson<Health>(`${system.apiUrl}/health/ready`);
    expect(apiHealth.status).toBe(200);
    expect(apiHealth.body.details).toMatchObject({ rabbitmq: { status: 'up', workQueue: true, publisher: true }, s3: { status: 'up', bucket: system.names.recordsBucket } });
    const workerHealth = await getJson<Health>(`${workerUrl}/health/ready`);
    expect(workerHealth.status).toBe(200);
    expect(workerHealth.body.details).toMatchObject({
      rabbitmq: { status: 'up', work: true, control: true, publisher: true },
      s3: { status: 'up', bucket: system.names.recordsBucket },
      kubernetes: { status: 'up', version: expect.stringMatching(/^v1\./) },
      watch: { status: 'up', watching: true },
      lifecycle: { status: 'up', retrying: 0 },
    });
    for (const url of [system.apiUrl, workerUrl]) expect((await getJson<Health>(`${url}/health/live`)).body.details.process.status).toBe('up');
  });

  it('counts submissions, Jobs, API requests and the job duration in Prometheus metrics, each once', async () => {
    // Other tests share this system: compare before and after, so that a count made twice is caught.
    const [apiBefore, workerBefore] = await Promise.all([metrics(system.apiUrl), metrics(workerUrl)]);
    const grew = (before: string, after: string, name: string, labels?: Record<string, string>) => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    const { body: record } = await api.submit({ image: 'mstc/python-test', jobName: 'metered', inputBucket: 'ops.inputs' });
    await api.request('POST', '/jobs', { jobName: 'no-image' });
    await api.untilStatus(record.id, ['succeeded']);
    const apiMetrics = await metrics(system.apiUrl);
    expect(grew(apiBefore, apiMetrics, 'cloud_worker_submissions_total', { outcome: 'accepted' })).toBe(1);
    expect(grew(apiBefore, apiMetrics, 'cloud_worker_submissions_total', { outcome: 'invalid' })).toBe(1);
    expect(sample(apiMetrics, 'cloud_worker_process_resident_memory_bytes')).toBeGreaterThan(0);

    await eventually(async () => sample(await metrics(workerUrl), 'cloud_worker_jobs_in_flight') === 0, 5000, 'no Job in flight');
    const workerMetrics = await metrics(workerUrl);
    expect(grew(workerBefore, workerMetrics, 'cloud_worker_jobs_finished_total', { status: 'succeeded' })).toBe(1);
    expect(grew(workerBefore, workerMetrics, 'cloud_worker_messages_total', { outcome: 'accepted' })).toBe(1);
    expect(grew(workerBefore, workerMetrics, 'cloud_worker_kube_requests_total', { verb: 'create', resource: 'jobs', code: '201' })).toBe(1);
    expect(grew(workerBefore, workerMetrics, 'cloud_worker_job_duration_seconds_count', { status: 'succeeded' })).toBe(1);
    expect(grew(workerBefore, workerMetrics, 'cloud_worker_queue_wait_seconds_count')).toBe(1);
    expect(sample(workerMetrics, 'cloud_worker_kube_requests_total', { verb: 'watch', resource: 'pods', code: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(workerMetrics, 'cloud_worker_jobs_retrying')).toBe(0);
    expect(workerMetrics).toContain('# TYPE cloud_worker_watch_restarts_total counter');
    expect(workerMetrics).toContain('# TYPE cloud_worker_reconcile_failures_total counter');
    expect(workerMetrics).toContain('# TYPE cloud_worker_amqp_reconnects_total counter');
  });

  it('writes JSON log lines that name the request and the Job', async () => {
    const { body: record } = await api.submit({ image: 'mstc/python-test', jobName: 'logged', inputBucket: 'ops.inputs' });
    await api.untilStatus(record.id, ['succeeded']);
    await system.workers[0].waitForLog((line) => line.msg === 'Job ended' && line.requestId === record.id);
    const about = system.workers[0].lines.filter((line) => JSON.stringify(line).includes(record.id));
    expect(about.length).toBeGreaterThanOrEqual(2);
    for (const line of about) expect(line).toMatchObject({ requestId: record.id, jobName: record.jobName, level: expect.any(Number), time: expect.any(String) });
    expect(about.map((line) => line.msg)).toEqual(expect.arrayContaining(['Job created', 'Job ended']));
  });

  it('turns unready while its watch is stalled, and ready again once it is replaced', async () => {
    // A readiness check now, so that its cached API server check makes no request while the fault is armed:
    // the request that hangs must be the worker's next watch.
    expect((await getJson<Health>(`${workerUrl}/health/ready`)).status).toBe(200);
    system.sim.faults.hangNext(1);
    system.sim.faults.dropWatches();
    const unready = await eventually(async () => {
      const answer = await getJson<Health>(`${workerUrl}/health/ready`);
      return answer.status === 503 && answer;
    }, 5000, 'the worker to be unready');
    expect(unready.body.details.watch).toMatchObject({ status: 'down', watching: false });
    await eventually(async () => (await getJson<Health>(`${workerUrl}/health/ready`)).status === 200, 10_000, 'the worker to be ready again');
    const restarts = sample(await metrics(workerUrl), 'cloud_worker_watch_restarts_total', { reason: 'error' });
    expect(restarts).toBeGreaterThanOrEqual(1);
  });

  it('has the OpenAPI document with every endpoint', async () => {
    const { body } = await getJson<{ paths: Record<string, Record<string, unknown>> }>(`${system.apiUrl}/docs/openapi.json`);
    expect(Object.keys(body.paths).sort()).toEqual(
      [
        '/completed_jobs',
        '/events',
        '/files/{bucket}/{key}',
        '/health/live',
        '/health/ready',
        '/incomplete_jobs',
        '/inprogress_jobs',
        '/job_status',
        '/jobs',
        '/jobs/summary',
        '/jobs/{id}',
        '/jobs/{id}/events',
        '/jobs/{id}/log',
        '/jobs/{id}/outputs',
        '/jobs/{id}/outputs/{name}',
      ].sort(),
    );
    expect(Object.keys(body.paths['/jobs']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(body.paths['/jobs/{id}']).sort()).toEqual(['delete', 'get']);
    const page = await fetch(`${system.apiUrl}/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
  });
});

describe('RabbitMQ going away from the api', () => {
  let system: TestSystem;
  let proxy: TcpProxy;
  let api: ApiClient;

  beforeAll(async () => {
    const target = new URL(AMQP_URL);
    proxy = await new TcpProxy(target.hostname, Number(target.port || 5672)).listen();
    system = await TestSystem.start({ workers: 0, api: false });
    const viaProxy = new URL(AMQP_URL);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    await system.startApi({ AMQP_URL: viaProxy.toString() });
    api = new ApiClient(() => system.apiUrl);
  });
  afterAll(async () => {
    await system?.stop();
    await proxy?.stop();
  });

  it('answers 503 with a clear body and writes nothing, then recovers', async () => {
    expect((await api.submit({ image: 'mstc/python-test', jobName: 'before', inputBucket: 'ops.inputs' })).status).toBe(202);
    proxy.cut();
    await eventually(async () => (await getJson<Health>(`${system.apiUrl}/health/ready`)).status === 503, 10_000, 'the api to notice');
    const writesBefore = system.s3.requests.filter((r) => r.startsWith('PUT')).length;
    const refusedId = randomUUID();
    const refused = await api.submit({ id: refusedId, image: 'mstc/python-test', jobName: 'during', inputBucket: 'ops.inputs' });
    expect(refused.status).toBe(503);
    expect((refused.body as unknown as { message: string }).message).toMatch(/RabbitMQ is not reachable.*nothing was stored/);
    expect(system.s3.requests.filter((r) => r.startsWith('PUT')).length).toBe(writesBefore);
    expect((await api.request('GET', `/jobs/${refusedId}`)).status).toBe(404);

    proxy.restore();
    const accepted = await eventually(async () => {
      const answer = await api.submit({ image: 'mstc/python-test', jobName: 'after', inputBucket: 'ops.inputs' });
      return answer.status === 202 && answer;
    }, 20_000, 'the api to accept again');
    expect(accepted.body.status).toBe('queued');
    expect(sample(await metrics(system.apiUrl), 'cloud_worker_amqp_reconnects_total', { connection: 'publisher' })).toBeGreaterThanOrEqual(1);
  });
});

describe('shutting down', () => {
  let system: TestSystem | undefined;
  afterEach(() => system?.stop());

  it('a worker stopped with SIGTERM leaves its running Job to the next worker, which adopts it', async () => {
    system = await TestSystem.start({
      api: false,
      sim: { images: pythonTestImage(2) },
    });
    const { queue, replies } = await system.replyQueue();
    const id = randomUUID();
    system.publishWork({ id, image: 'mstc/python-test', jobName: 'handover', inputBucket: 'ops.inputs' }, { replyTo: queue, correlationId: id });
    await eventually(() => system!.sim.list('pods', 'default').some((pod) => pod.metadata.labels?.['job-name'] === `handover-${id}` && pod.status?.phase === 'Running'), 10_000, 'the pod to run');

    const started = Date.now();
    expect(await system.workers[0].kill('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    const { messageCount } = await system.channel.checkQueue(system.names.workQueue);
    expect(messageCount).toBe(1);
    expect(replies).toHaveLength(0);

    await system.startWorker();
    const reply = await eventually(() => replies.find((r) => r.correlationId === id), 20_000, 'the reply');
    expect(reply.body).toMatchObject({ status: 'succeeded', jobName: `handover-${id}` });
    expect(system.sim.requests.filter((r) => r.verb === 'create' && r.resource === 'jobs' && r.status === 201)).toHaveLength(1);
  });

  it('the api finishes a request in progress before it exits', async () => {
    system = await TestSystem.start({ workers: 0 });
    const api = new ApiClient(() => system!.apiUrl);
    const writesBefore = system.s3.requests.length;
    const submitting = api.submit({ image: 'mstc/python-test', jobName: 'last-one', inputBucket: 'ops.inputs' });
    // The api has begun storing the record: the request is in progress (its publishes are still to come).
    await eventually(() => system!.s3.requests.length > writesBefore, 5000, 'the submission to reach the S3 store');
    const exit = system.api!.kill('SIGTERM');
    const answer = await submitting;
    expect(answer.status).toBe(202);
    expect(await exit).toBe(0);
    await expect(fetch(`${system.apiUrl}/health/live`)).rejects.toThrow();
  });
});
