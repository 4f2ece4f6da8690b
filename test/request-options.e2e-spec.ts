import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FieldProblem, JobRecord } from '@app/contracts';
import type { V1Container } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { ApiClient } from './support/http.js';
import { eventually, NAMESPACE, pythonTestImage, TestSystem, type DeadLetter } from './support/system.js';

/** Prints what it was given: its arguments and two variables, as one JSON line. */
const ECHO = 'console.log(JSON.stringify({ args: process.argv.slice(1), GREETING: process.env.GREETING, WHERE: process.env.WHERE }))';

const CAPS = { JOB_MAX_CPU: '2', JOB_MAX_MEMORY: '4Gi' };
const DEFAULTS = { JOB_CPU_REQUEST: '100m', JOB_MEMORY_REQUEST: '64Mi', JOB_MEMORY_LIMIT: '512Mi' };

const options = {
  resources: { requests: { cpu: '500m' }, limits: { cpu: 1, memory: '1Gi' } },
  env: [
    { name: 'GREETING', value: 'hello there' },
    { name: 'WHERE', value: '$(INPUT_BUCKET)' },
  ],
  args: ['--flag', 'two words', 'in $(OUTPUT_BUCKET)'],
};
/** The options as the record keeps them: the number of cores as its quantity. */
const keptOptions = { ...options, resources: { requests: { cpu: '500m' }, limits: { cpu: '1', memory: '1Gi' } } };

/**
 * Per-request resources, environment and arguments (issue 15), over HTTP and AMQP: what a request gives reaches its
 * Job over the worker's defaults (and the container: the simulator runs it with them), and what breaks a cap or
 * names one of the worker's own variables is refused at either door with the rule named.
 */
describe('per-request resources, env and args', () => {
  let system: TestSystem;
  let api: ApiClient;
  let deadLetters: DeadLetter[];

  beforeAll(async () => {
    system = await TestSystem.start({
      env: { ...CAPS, ...DEFAULTS },
      sim: { images: { ...pythonTestImage(0.2), 'echo/options:1': { command: ['node', '-e', ECHO, '--'] } } },
    });
    api = new ApiClient(() => system.apiUrl);
    deadLetters = await system.deadLetters();
  });
  afterAll(() => system?.stop());

  /** The container of a finished request's Job, read from the simulator before the Job's TTL removes it. */
  function containerOf(record: JobRecord): V1Container {
    return system.sim.get('jobs', NAMESPACE, record.jobName)!.spec.template.spec.containers[0];
  }

  /** What the echo image printed, from the stored log. */
  async function echoed(record: JobRecord): Promise<unknown> {
    const line = (await system.objectText(record.outputBucket, record.logObject!)).split('\n').find((text) => text.startsWith('{"args"'));
    return JSON.parse(line!);
  }

  /** Shows the Job got the options, merged over the worker's defaults, and its container ran with them. */
  async function expectJobWithOptions(record: JobRecord): Promise<void> {
    const container = containerOf(record);
    expect(container.resources).toEqual({ requests: { cpu: '500m', memory: '64Mi' }, limits: { cpu: '1', memory: '1Gi' } });
    expect(container.args).toEqual(options.args);
    expect(container.env!.slice(-2)).toEqual(options.env);
    expect(container.env!.find((variable) => variable.name === 'INPUT_BUCKET')).toEqual({ name: 'INPUT_BUCKET', value: 'options.inputs' });
    expect(await echoed(record)).toEqual({ args: ['--flag', 'two words', 'in options.outputs'], GREETING: 'hello there', WHERE: 'options.inputs' });
  }

  /** Publishes a request as an MSTC client does and waits for its reply. */
  async function publishAndAwaitReply(body: Record<string, unknown>): Promise<{ id: string; reply: Record<string, unknown> }> {
    const { queue, replies } = await system.replyQueue();
    const id = randomUUID();
    system.publishWork(body, { replyTo: queue, correlationId: id, messageId: id });
    const reply = await eventually(() => replies.find((r) => r.correlationId === id), 20_000, 'the reply');
    return { id, reply: reply.body };
  }

  const echoRequest = (jobName: string) => ({ image: 'echo/options:1', jobName, inputBucket: 'options.inputs', outputBucket: 'options.outputs' });

  describe('over HTTP', () => {
    it('passes resources, env and args to the Job and keeps them on the record', async () => {
      const { status, body } = await api.submit({ ...echoRequest('http-options'), ...options });
      expect(status).toBe(202);
      expect(body.request).toMatchObject(keptOptions);
      const record = await api.untilStatus(body.id);
      expect(record).toMatchObject({ status: 'succeeded', request: keptOptions });
      await expectJobWithOptions(record);
    });

    it('takes a second submission of an id with other resources for other work', async () => {
      const id = randomUUID();
      expect((await api.submit({ id, ...echoRequest('http-replay'), ...options })).status).toBe(202);
      expect((await api.submit({ id, ...echoRequest('http-replay'), ...options })).status).toBe(200);
      const changed = await api.submit({ id, ...echoRequest('http-replay'), ...options, resources: { limits: { memory: '2Gi' } } });
      expect(changed.status).toBe(409);
      await api.untilStatus(id);
    });

    it('refuses a quantity above a cap and a reserved variable with 400 naming each, and creates nothing', async () => {
      const id = randomUUID();
      const answer = await api.submit({
        id,
        ...echoRequest('http-over-cap'),
        resources: { requests: { cpu: '2500m' }, limits: { memory: '5Gi' } },
        env: [{ name: 'AWS_SECRET_ACCESS_KEY', value: 'mine' }],
      });
      expect(answer.status).toBe(400);
      const errors: FieldProblem[] = [
        { field: 'resources.requests.cpu', rule: 'max', message: 'resources.requests.cpu must be at most 2 (JOB_MAX_CPU)' },
        { field: 'resources.limits.memory', rule: 'max', message: 'resources.limits.memory must be at most 4Gi (JOB_MAX_MEMORY)' },
        { field: 'env[0].name', rule: 'isNotIn', message: 'env[0].name "AWS_SECRET_ACCESS_KEY" is set by the worker and cannot be overridden' },
      ];
      expect(answer.body).toEqual({ statusCode: 400, error: 'Bad Request', message: `Invalid work request: ${errors.map((e) => e.message).join('; ')}`, errors });
      const badQuantity = await api.submit({ ...echoRequest('http-bad-quantity'), resources: { limits: { memory: '1 GB' } }, args: 'run' });
      expect(badQuantity.status).toBe(400);
      expect((badQuantity.body as unknown as { errors: FieldProblem[] }).errors.map((e) => [e.field, e.rule])).toEqual([
        ['resources.limits.memory', 'quantity'],
        ['args', 'isArray'],
      ]);
      // Refusals are made before anything is stored: a request sent after them runs, and they left no trace.
      await api.untilStatus((await api.submit({ ...echoRequest('http-after-refusals') })).body.id, ['succeeded']);
      expect((await api.request('GET', `/jobs/${id}`)).status).toBe(404);
      expect([...system.createdJobs('http-over-cap-'), ...system.createdJobs('http-bad-quantity-')]).toEqual([]);
    });

    it('documents the fields in the OpenAPI document', async () => {
      const { body } = await api.request<{ components: { schemas: Record<string, { properties: Record<string, unknown> }> } }>('GET', '/docs/openapi.json');
      const { properties } = body.components.schemas.WorkRequestDto!;
      expect(properties).toMatchObject({
        resources: { allOf: [{ $ref: '#/components/schemas/ResourceRequirementsDto' }] },
        env: { type: 'array', items: { $ref: '#/components/schemas/EnvVarDto' } },
        args: { type: 'array', items: { type: 'string' } },
      });
      expect(body.components.schemas.ResourceListDto!.properties).toMatchObject({
        cpu: { oneOf: [{ type: 'string' }, { type: 'number', minimum: 0 }], example: '500m' },
        memory: { oneOf: [{ type: 'string' }, { type: 'number', minimum: 0 }], example: '16Gi' },
      });
      expect(body.components.schemas.EnvVarDto!.properties).toMatchObject({ name: { type: 'string' }, value: { type: 'string' } });
    });
  });

  describe('over AMQP', () => {
    it('passes resources, env and args to the Job and replies with them on the record', async () => {
      const { id, reply } = await publishAndAwaitReply({ ...echoRequest('amqp-options'), ...options });
      expect(reply).toMatchObject({ id, status: 'succeeded' });
      const record = (await system.record(id))!;
      expect(record.request).toMatchObject(keptOptions);
      await expectJobWithOptions(record);
    });

    it("gives an MSTC client's request, which says none of them, the worker's defaults", async () => {
      const { id, reply } = await publishAndAwaitReply({ image: 'mstc/python-test', jobName: 'amqp-mstc', inputBucket: 'options.inputs' });
      expect(reply).toMatchObject({ id, status: 'succeeded' });
      const record = (await system.record(id))!;
      expect(record.request).toEqual({ image: 'mstc/python-test', jobName: 'amqp-mstc', inputBucket: 'options.inputs', outputBucket: 'options.inputs', timeOut: 15 });
      const container = containerOf(record);
      expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '512Mi' } });
      expect(container).not.toHaveProperty('args');
    });

    it('dead-letters a quantity above a cap and a reserved variable with the reasons, replies with them, and creates nothing', async () => {
      const { id, reply } = await publishAndAwaitReply({
        ...echoRequest('amqp-over-cap'),
        resources: { limits: { cpu: 3 } },
        env: [{ name: 'LOG_LEVEL', value: 'debug' }, { name: 'INPUT_BUCKET', value: 'elsewhere' }],
      });
      const reason =
        'Invalid work request: resources.limits.cpu must be at most 2 (JOB_MAX_CPU); env[1].name "INPUT_BUCKET" is set by the worker and cannot be overridden';
      expect(reply).toMatchObject({ id, status: 'rejected', reason });
      expect((reply.errors as FieldProblem[]).map((p) => [p.field, p.rule])).toEqual([
        ['resources.limits.cpu', 'max'],
        ['env[1].name', 'isNotIn'],
      ]);
      expect((await eventually(() => deadLetters.find((l) => l.properties.messageId === id), 10_000, 'the dead letter')).reason).toBe(reason);
      // A request published after it runs to its end, and the refused one left no record and no Job.
      expect((await publishAndAwaitReply(echoRequest('amqp-after-refusal'))).reply).toMatchObject({ status: 'succeeded' });
      expect(await system.record(id)).toBeUndefined();
      expect(system.createdJobs('amqp-over-cap-')).toEqual([]);
    });
  });
});
