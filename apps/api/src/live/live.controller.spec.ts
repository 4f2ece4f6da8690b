import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { newJobRecord, type JobRecord, type JobStatus } from '@app/contracts';
import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { bearer, FakeEdges, SPEC_TOKENS } from '../../test/fakes.js';
import { OpenStreams } from './open-streams.js';

const SECRET = 'jobs-user-secret-key-0123456789';

describe('LiveController', () => {
  let edges: FakeEdges;
  let app: INestApplication;
  let base: string;
  /** Listeners other than the streams under test: the jobs summary's tally listens for as long as the api runs. */
  let alwaysListening: number;
  const openStreams = () => edges.feed.listenerCount - alwaysListening;
  const api = (who: keyof typeof SPEC_TOKENS = 'alice') => request.agent(app.getHttpServer()).set('authorization', bearer(who));

  beforeEach(async () => {
    edges = new FakeEdges();
    Object.assign(edges.config, { JOB_S3_SECRET_KEY: SECRET, SSE_KEEPALIVE_SECONDS: 1 });
    app = await edges.app();
    await app.listen(0);
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    alwaysListening = edges.feed.listenerCount;
  });
  afterEach(() => app.close());

  function job(status: JobStatus, owner = 'alice', changes: Partial<JobRecord> = {}): JobRecord {
    const record = { ...newJobRecord({ id: randomUUID(), image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'in.bucket', outputBucket: 'in.bucket', timeOut: 15 }, owner, new Date().toISOString()), status, ...changes };
    edges.records.records.set(record.id, record);
    return record;
  }

  /** Reads an event stream until `until` holds for the text so far (or the stream ends), then lets it go. */
  async function readStream(path: string, until: (text: string) => boolean, headers: Record<string, string> = {}): Promise<{ text: string; ended: boolean; status: number; type: string | null }> {
    const stop = new AbortController();
    const response = await fetch(`${base}${path}`, { headers: { authorization: bearer('alice'), ...headers }, signal: stop.signal });
    const reader = response.body!.getReader();
    let text = '';
    let ended = false;
    while (!until(text)) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      text += Buffer.from(value).toString();
    }
    stop.abort();
    return { text, ended, status: response.status, type: response.headers.get('content-type') };
  }

  describe('GET /jobs/{id}/log', () => {
    it('answers the stored log of an ended job, or its last lines', async () => {
      const record = job('succeeded', 'alice', { logObject: 'test.log' });
      edges.logs.objects.set('in.bucket/test.log', 'Started\none\ntwo\nSUCCESS\n');
      const answer = await api().get(`/jobs/${record.id}/log`);
      expect(answer).toMatchObject({ status: 200, text: 'Started\none\ntwo\nSUCCESS\n' });
      expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(await api().get(`/jobs/${record.id}/log?tail=2`)).toMatchObject({ status: 200, text: 'two\nSUCCESS\n' });
      expect(await api().get(`/jobs/${record.id}/log?follow=true`)).toMatchObject({ status: 200, text: 'Started\none\ntwo\nSUCCESS\n' });
    });

    it('answers a running job with every attempt so far, as the worker stores it, the credentials masked', async () => {
      const record = job('running');
      edges.kube.addPod(record.jobName, 'pod-a', `Started\nAWS_SECRET_ACCESS_KEY=${SECRET}\nerror\n`, 1);
      edges.kube.addPod(record.jobName, 'pod-b', 'Started again\n', 1);
      edges.kube.addPod(record.jobName, 'pod-c', undefined, 1);
      const answer = await api().get(`/jobs/${record.id}/log`);
      expect(answer).toMatchObject({
        status: 200,
        text:
          '==> pod pod-a <==\nStarted\nAWS_SECRET_ACCESS_KEY=***\nerror\n' +
          '\n==> pod pod-b <==\nStarted again\n' +
          '\n==> pod pod-c <==\n(no log: container in pod "pod-c" is waiting to start: ContainerCreating)\n',
      });
      expect(await api().get(`/jobs/${record.id}/log?tail=2`)).toMatchObject({ status: 200, text: '==> pod pod-c <==\n(no log: container in pod "pod-c" is waiting to start: ContainerCreating)\n' });
    });

    it("masks a Job's own credentials with JOB_S3_CREDENTIALS=sts, and sends nothing when they cannot be read", async () => {
      edges.config.JOB_S3_CREDENTIALS = 'sts';
      const record = job('running');
      edges.kube.addPod(record.jobName, 'pod-a', 'token=session-token-1\n');
      edges.kube.secrets.set(record.jobName, { data: { sessionToken: Buffer.from('session-token-1').toString('base64') } });
      expect(await api().get(`/jobs/${record.id}/log`)).toMatchObject({ status: 200, text: 'token=***\n' });
      edges.kube.secrets.clear();
      expect(await api().get(`/jobs/${record.id}/log`)).toMatchObject({ status: 503, body: { message: `The credentials Secret of Job ${record.id} is gone, so its log cannot be masked and is not sent.` } });
      edges.kube.secretsForbidden = true;
      const refused = await api().get(`/jobs/${record.id}/log`);
      expect(refused.status).toBe(503);
      expect(refused.body.message).toContain('cannot be read to mask them');
    });

    it("answers 404 for another owner's job, and for a queued job's log not followed", async () => {
      const bobs = job('succeeded', 'bob', { logObject: 'test.log' });
      edges.logs.objects.set('in.bucket/test.log', 'secret stuff\n');
      expect(await api().get(`/jobs/${bobs.id}/log?follow=true`)).toMatchObject({ status: 404, body: { message: `No job with id ${bobs.id}` } });
      const queued = job('queued');
      expect(await api().get(`/jobs/${queued.id}/log`)).toMatchObject({ status: 404, body: { message: `Job ${queued.id} has no stored log yet (status queued)` } });
    });

    it.each([
      ['follow=yes', 'follow must be true or false'],
      ['tail=0', 'tail must be an integer from 1 to 100000'],
      ['tail=100001', 'tail must be an integer from 1 to 100000'],
      ['tail=x', 'tail must be an integer from 1 to 100000'],
    ])('refuses %s, naming the rule', async (query, message) => {
      const record = job('succeeded');
      const answer = await api().get(`/jobs/${record.id}/log?${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body.message).toContain(message);
    });
  });

  describe('GET /jobs/{id}/events', () => {
    it('sends the record as it is, then each change, and ends after a terminal status', async () => {
      const record = job('queued');
      const reading = readStream(`/jobs/${record.id}/events`, () => false);
      await eventually(() => openStreams() === 1);
      edges.feed.emit({ ...record, status: 'running' });
      edges.feed.emit({ ...record, status: 'running' });
      edges.feed.emit({ ...record, status: 'succeeded' });
      const { text, ended, type } = await reading;
      expect(type).toBe('text/event-stream; charset=utf-8');
      expect(ended).toBe(true);
      expect(eventLines(text)).toEqual([`queued ${record.id}:queued`, `running ${record.id}:running`, `succeeded ${record.id}:succeeded`]);
      expect(openStreams()).toBe(0);
    });

    it('resumes after Last-Event-ID without sending a seen status again', async () => {
      const record = job('running');
      const reading = readStream(`/jobs/${record.id}/events`, () => false, { 'last-event-id': `${record.id}:running` });
      await eventually(() => openStreams() === 1);
      edges.feed.emit({ ...record, status: 'failed' });
      expect(eventLines((await reading).text)).toEqual([`failed ${record.id}:failed`]);
    });

    it("answers 404 for another owner's job", async () => {
      const bobs = job('running', 'bob');
      expect(await api().get(`/jobs/${bobs.id}/events`)).toMatchObject({ status: 404 });
    });

    it('sends keep-alive comments, and lets go of its listener when the client goes away', async () => {
      const record = job('running');
      const { text } = await readStream(`/jobs/${record.id}/events`, (so) => so.includes(': keep-alive'));
      expect(text).toContain(': keep-alive\n\n');
      await eventually(() => openStreams() === 0);
    });

    it('ends every open stream when the api shuts down', async () => {
      const record = job('running');
      const reading = readStream(`/jobs/${record.id}/events`, () => false);
      await eventually(() => openStreams() === 1);
      app.get(OpenStreams).beforeApplicationShutdown();
      expect((await reading).ended).toBe(true);
      expect(openStreams()).toBe(0);
    });
  });

  describe('GET /events', () => {
    it("sends the changes of the caller's jobs only, of the statuses asked for", async () => {
      const mine = job('queued');
      const bobs = job('queued', 'bob');
      const reading = readStream('/events?status=running,succeeded', (text) => text.includes(':succeeded'));
      await eventually(() => openStreams() === 1);
      for (const status of ['running', 'succeeded'] as const) {
        edges.feed.emit({ ...bobs, status });
        edges.feed.emit({ ...mine, status });
      }
      expect(eventLines((await reading).text)).toEqual([`running ${mine.id}:running`, `succeeded ${mine.id}:succeeded`]);
    });

    it('replays what came after a Last-Event-ID it holds, and says reset for one it does not', async () => {
      const mine = job('queued');
      edges.feed.emit(mine);
      edges.feed.emit({ ...mine, status: 'running' });
      const resumed = await readStream('/events', (text) => text.includes(':running'), { 'last-event-id': `${mine.id}:queued` });
      expect(eventLines(resumed.text)).toEqual([`running ${mine.id}:running`]);
      const unknown = await readStream('/events', (text) => text.includes('\n\n'), { 'last-event-id': 'gone:queued' });
      expect(unknown.text).toMatch(/^event: reset\ndata: \{"reason":"the event gone:queued is no longer held; list the jobs again"\}\n\n/);
    });

    it('refuses an unknown status', async () => {
      const answer = await api().get('/events?status=sleeping');
      expect(answer.status).toBe(400);
      expect(answer.body.message).toContain('status must be one or more of');
    });
  });
});

/** `<event> <id>` of each event in a stream. */
function eventLines(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const fields = Object.fromEntries(block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
      return `${fields.event} ${fields.id}`;
    });
}

async function eventually(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
