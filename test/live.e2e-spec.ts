import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ACTIVE_STATUSES, type JobRecord } from '@app/contracts';
import { tokenListEntry } from '../tools/local-stack/api-tokens.js';
import { ApiClient } from './support/http.js';
import { authEnv, eventually, napImages, pythonTestImage, TEST_ADMIN_TOKEN, TestSystem, unchangedFor } from './support/system.js';

const BOB = 'e2e-bob-token';

// A line followed live comes before the job has ended: its record is still queued or running (the worker may
// write `running` just after the pod has printed its first line).

/** An answer read as it arrives: its text so far, and what a test notes when some text first shows. */
interface Reading {
  text: string;
  done: Promise<string>;
  stop: () => void;
}

/** Reads a streamed answer (a followed log, an event stream) as it comes, until it ends or `stop`. */
function read(baseUrl: string, path: string, headers: Record<string, string> = {}, onText?: (text: string) => void): Reading {
  const controller = new AbortController();
  const reading: Reading = { text: '', done: Promise.resolve(''), stop: () => controller.abort() };
  reading.done = (async () => {
    const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...headers }, signal: controller.signal });
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        reading.text += decoder.decode(chunk, { stream: true });
        onText?.(reading.text);
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
    return reading.text;
  })();
  return reading;
}

/** `<event> <id>` of each event in an event stream. */
function events(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const lines = block.split('\n');
      const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
      return `${field('event')} ${field('id')}`;
    });
}

describe('live logs and events', () => {
  describe('a job that runs once', () => {
    let system: TestSystem;
    let api: ApiClient;
    let stored: (record: JobRecord) => Promise<string>;

    beforeAll(async () => {
      system = await TestSystem.start({ sim: { images: { ...pythonTestImage(3), ...napImages({ 'nap/long': 120_000 }) } }, env: authEnv(tokenListEntry('bob', ['submit', 'read'], BOB)) });
      api = new ApiClient(() => system.apiUrl);
      stored = async (record) => system.objectText(record.outputBucket, (await eventually(async () => (await system.record(record.id))?.logObject, 20_000, 'the log stored'))!);
    });
    afterAll(() => system?.stop());

    it('follows the log while the Job runs, and the whole body is the stored log, byte for byte, the credentials masked', async () => {
      const { body: job } = await api.submit({ image: 'mstc/python-test', jobName: 'followed', inputBucket: 'live.inputs' });
      let statusAtFirstLine: Promise<string | undefined> | undefined;
      const follow = read(system.apiUrl, `/jobs/${job.id}/log?follow=true`, {}, (text) => {
        if (text.includes('Started\n')) statusAtFirstLine ??= system.record(job.id).then((record) => record?.status);
      });
      const body = await follow.done;
      expect(ACTIVE_STATUSES).toContain(await statusAtFirstLine);
      const log = await stored(job);
      expect(body).toBe(log);
      expect(body).toMatch(/^Started\n[\s\S]*AWS_SECRET_ACCESS_KEY: \*\*\*\n[\s\S]*SUCCESS\n$/);
      expect(body).not.toContain(system.jobsUser.env.JOB_S3_SECRET_KEY);
    }, 60_000);

    it('follows from the last lines with tail=N, into the end of the stored log', async () => {
      const { body: job } = await api.submit({ image: 'mstc/python-test', jobName: 'tailed', inputBucket: 'live.inputs' });
      // The image prints its environment at once, then sleeps: wait until the log so far stays the same.
      const soFar = await eventually(
        () => unchangedFor(async () => (await api.request<string>('GET', `/jobs/${job.id}/log`)).body, 500, 'the log so far').then((text) => text.includes('Started') && text),
        20_000,
        'the environment printed',
      );
      await eventually(async () => (await system.record(job.id))?.status === 'running', 10_000, 'the job running');
      const body = await read(system.apiUrl, `/jobs/${job.id}/log?follow=true&tail=2`).done;
      const log = await stored(job);
      expect(log.startsWith(soFar)).toBe(true);
      const lastTwo = soFar.split('\n').slice(-3).join('\n');
      expect(body).toBe(lastTwo + log.slice(soFar.length));
      const ended = await api.request<string>('GET', `/jobs/${job.id}/log?tail=3`);
      expect(ended.body).toBe(log.split('\n').slice(-4).join('\n'));
    }, 60_000);

    it('ends a followed log when the job is cancelled, with the log the worker stored after the cancellation', async () => {
      const { body: job } = await api.submit({ image: 'nap/long', jobName: 'cancelled', inputBucket: 'live.inputs' });
      const follow = read(system.apiUrl, `/jobs/${job.id}/log?follow=true`);
      await eventually(() => follow.text.includes('Sleeping 120000 ms\n'), 20_000, 'the first lines followed');
      expect((await api.request('DELETE', `/jobs/${job.id}`)).status).toBe(202);
      const body = await follow.done;
      const record = await system.record(job.id);
      expect(record).toMatchObject({ status: 'cancelled', logObject: expect.any(String) });
      expect(body).toBe(await system.objectText(job.outputBucket, record!.logObject!));
      expect(body).toMatch(/^Started .+\nSleeping 120000 ms\n$/);
    }, 60_000);

    it("answers 404 for another owner's job, its log and its events", async () => {
      const { body: job } = await api.submit({ image: 'mstc/python-test', jobName: 'not-bobs', inputBucket: 'live.inputs' });
      const bob = new ApiClient(() => system.apiUrl, BOB);
      for (const path of [`/jobs/${job.id}/log?follow=true`, `/jobs/${job.id}/log`, `/jobs/${job.id}/events`]) {
        expect(await bob.request('GET', path, undefined, 5000)).toMatchObject({ status: 404, body: { message: `No job with id ${job.id}` } });
      }
    });
    it('ends open event streams and followed logs when the api shuts down, which it then does at once', async () => {
      const { body: job } = await api.submit({ image: 'nap/long', jobName: 'shutdown', inputBucket: 'live.inputs' });
      const follow = read(system.apiUrl, `/jobs/${job.id}/log?follow=true`);
      const all = read(system.apiUrl, '/events');
      const one = read(system.apiUrl, `/jobs/${job.id}/events`);
      await eventually(() => follow.text.includes('Sleeping') && one.text.includes(':running'), 20_000, 'the streams under way');
      const started = Date.now();
      expect(await system.api!.kill('SIGTERM')).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000);
      await Promise.all([follow.done, all.done, one.done]);
      expect(follow.text).toMatch(/^Started .+\nSleeping 120000 ms\n$/);
      await system.startApi();
    }, 60_000);
  });

  describe('a job of two attempts, followed from the queue', () => {
    let system: TestSystem;
    let api: ApiClient;

    beforeAll(async () => {
      system = await TestSystem.start({
        workers: 0,
        sim: { images: { 'nap/fail': { inProcess: 'sleep-exit', env: { SLEEP_MS: '1500', EXIT_CODE: '2' } } } },
        env: { JOB_BACKOFF_LIMIT: '1' },
      });
      api = new ApiClient(() => system.apiUrl);
    });
    afterAll(() => system?.stop());

    it('streams the events from queued to the end, resumes after Last-Event-ID, filters by status, and follows both attempts', async () => {
      const failedOnly = read(system.apiUrl, '/events?status=failed');
      const { body: job } = await api.submit({ image: 'nap/fail', jobName: 'twice', inputBucket: 'live.inputs' });
      const whole = read(system.apiUrl, `/jobs/${job.id}/events`);
      const first = read(system.apiUrl, `/jobs/${job.id}/events`, {}, (text) => text.includes('\n\n') && first.stop());
      await first.done;
      expect(events(first.text)).toEqual([`queued ${job.id}:queued`]);
      let statusAtFirstLine: Promise<string | undefined> | undefined;
      const follow = read(system.apiUrl, `/jobs/${job.id}/log?follow=true`, {}, (text) => {
        if (text.includes('Started')) statusAtFirstLine ??= system.record(job.id).then((record) => record?.status);
      });

      await system.startWorker();
      const resumed = read(system.apiUrl, `/jobs/${job.id}/events`, { 'last-event-id': `${job.id}:queued` });

      expect(events(await whole.done)).toEqual([`queued ${job.id}:queued`, `running ${job.id}:running`, `failed ${job.id}:failed`]);
      expect(events(await resumed.done)).toEqual([`running ${job.id}:running`, `failed ${job.id}:failed`]);
      await eventually(() => events(failedOnly.text).length > 0, 10_000, 'the failed event on /events');
      failedOnly.stop();
      expect(events(failedOnly.text)).toEqual([`failed ${job.id}:failed`]);

      const body = await follow.done;
      expect(ACTIVE_STATUSES).toContain(await statusAtFirstLine);
      const logObject = await eventually(async () => (await system.record(job.id))?.logObject, 20_000, 'the log stored');
      expect(body).toBe(await system.objectText(job.outputBucket, logObject));
      expect(body.match(/^==> pod twice-.+ <==$/gm)).toHaveLength(2);
      expect(body.match(/^Exiting with code 2$/gm)).toHaveLength(2);
    }, 90_000);
  });

  describe('a job with credentials of its own (JOB_S3_CREDENTIALS=sts)', () => {
    let system: TestSystem;
    let api: ApiClient;

    beforeAll(async () => {
      system = await TestSystem.start({ sim: { images: pythonTestImage(2) }, env: { JOB_S3_CREDENTIALS: 'sts' } });
      api = new ApiClient(() => system.apiUrl);
    });
    afterAll(() => system?.stop());

    it("masks the Job's own secret key and session token while following, as the stored log does", async () => {
      const { body: job } = await api.submit({ image: 'mstc/python-test', jobName: 'own-keys', inputBucket: 'live.inputs' });
      let beforeEnd: Promise<string | undefined> | undefined;
      const follow = read(system.apiUrl, `/jobs/${job.id}/log?follow=true`, {}, (text) => {
        if (text.includes('AWS_SESSION_TOKEN: ***\n')) beforeEnd ??= system.record(job.id).then((record) => record?.status);
      });
      const body = await follow.done;
      expect(ACTIVE_STATUSES).toContain(await beforeEnd);
      const own = system.sim.get('secrets', 'default', (await system.record(job.id))!.jobName)!.data as Record<string, string>;
      for (const key of ['secretKey', 'sessionToken']) expect(body).not.toContain(Buffer.from(own[key], 'base64').toString());
      const logObject = await eventually(async () => (await system.record(job.id))?.logObject, 20_000, 'the log stored');
      expect(body).toBe(await system.objectText(job.outputBucket, logObject));
    }, 60_000);
  });
});
