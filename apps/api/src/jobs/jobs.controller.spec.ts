import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { newJobRecord } from '@app/contracts';
import request from 'supertest';
import { bearer, FakeEdges } from '../../test/fakes.js';

const work = { image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'in.bucket' };

describe('JobsController', () => {
  let edges: FakeEdges;
  let app: INestApplication;
  const api = () => request.agent(app.getHttpServer()).set('authorization', bearer('admin'));
  const submit = (body: unknown) => api().post('/jobs').send(body as object);

  beforeEach(async () => {
    edges = new FakeEdges();
    app = await edges.app();
  });
  afterEach(() => app.close());

  describe('POST /jobs', () => {
    it('answers 202 with the record, its defaults applied, and where to find it', async () => {
      const answer = await submit(work);
      expect(answer.status).toBe(202);
      expect(answer.headers.location).toBe(`/jobs/${answer.body.id}`);
      expect(answer.body).toMatchObject({ status: 'queued', request: { ...work, outputBucket: 'in.bucket', timeOut: 15 } });
      expect(edges.workQueue.requests.map((queued) => queued.id)).toEqual([answer.body.id]);
    });

    it('reads a body whatever its Content-Type says', async () => {
      expect((await api().post('/jobs').set('content-type', 'text/plain').send(JSON.stringify(work))).status).toBe(202);
    });

    it('answers 200 with the same record for the same request again, 409 for other work under its id', async () => {
      const id = randomUUID();
      const first = await submit({ ...work, id });
      expect(await submit({ ...work, id })).toMatchObject({ status: 200, body: first.body });
      expect(await submit({ ...work, id, jobName: 'other-job' })).toMatchObject({ status: 409, body: { statusCode: 409, error: 'Conflict' } });
    });

    it('names every field at fault and the rule it breaks, and stores nothing', async () => {
      const answer = await submit({ jobName: 'Bad_Name', timeOut: 100_000 });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringMatching(/^Invalid work request: image is required; jobName must be a lowercase RFC 1123 label.*; inputBucket is required; timeOut must be at most 1440 minutes$/),
        errors: [
          { field: 'image', rule: 'isDefined', message: 'image is required' },
          { field: 'jobName', rule: expect.any(String), message: expect.stringContaining('lowercase RFC 1123 label') },
          { field: 'inputBucket', rule: 'isDefined', message: 'inputBucket is required' },
          { field: 'timeOut', rule: 'max', message: 'timeOut must be at most 1440 minutes' },
        ],
      });
      expect(edges.records.records.size).toBe(0);
    });

    it('refuses a body that is not an object', async () => {
      expect(await submit([work])).toMatchObject({ status: 400, body: { errors: [{ field: '(body)', rule: 'object' }] } });
    });

    it('answers a body that is not JSON with 400', async () => {
      const answer = await api().post('/jobs').set('content-type', 'application/json').send('{"image": "x",');
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/^Request body is not valid JSON: /) });
    });

    it('answers a body over the limit with 413', async () => {
      const answer = await submit({ ...work, padding: 'x'.repeat(edges.config.MAX_REQUEST_BYTES) });
      expect(answer.status).toBe(413);
      expect(answer.body).toEqual({ statusCode: 413, error: 'Payload Too Large', message: `Request body is larger than the limit of ${edges.config.MAX_REQUEST_BYTES} bytes` });
    });

    it('answers 503 while RabbitMQ is away', async () => {
      edges.publisher.down = true;
      expect(await submit(work)).toMatchObject({ status: 503, body: { statusCode: 503, error: 'Service Unavailable' } });
    });
  });

  describe('GET /jobs', () => {
    it('lists records of the statuses asked for', async () => {
      const { body: record } = await submit(work);
      const { body: cancelled } = await submit({ ...work, jobName: 'cancelled-job' });
      await api().delete(`/jobs/${cancelled.id}`);
      expect(await api().get('/jobs?status=queued,running')).toMatchObject({ status: 200, body: { jobs: [{ id: record.id }], nextCursor: null } });
    });

    it('names each bad parameter and the rule it breaks', async () => {
      const answer = await api().get('/jobs?status=queued,done&limit=0');
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'Invalid query: status must be one or more of queued, running, succeeded, failed, timed_out, cancelled; limit must be 1 to 100',
        errors: [
          { field: 'status', rule: 'isIn', message: 'status must be one or more of queued, running, succeeded, failed, timed_out, cancelled' },
          { field: 'limit', rule: 'min', message: 'limit must be 1 to 100' },
        ],
      });
    });

    it('refuses a cursor it did not hand out', async () => {
      expect(await api().get('/jobs?cursor=forged')).toMatchObject({ status: 400, body: { message: 'Invalid query: cursor is not one this api handed out' } });
    });
  });

  describe('GET /jobs/summary', () => {
    const as = (name: 'admin' | 'alice' | 'bob') => request.agent(app.getHttpServer()).set('authorization', bearer(name));
    const ended = (record: { id: string }, status: 'succeeded' | 'failed', owner: string) =>
      edges.feed.emit({ ...edges.records.records.get(record.id)!, owner, status, finishedAt: new Date().toISOString() });

    it("counts the caller's own jobs by status and tallies those that ended this minute; admin sees every job", async () => {
      const { body: mine } = await as('alice').post('/jobs').send(work);
      const { body: theirs } = await as('bob').post('/jobs').send(work);
      await as('alice').post('/jobs').send(work);
      ended(mine, 'succeeded', 'alice');
      ended(theirs, 'failed', 'bob');

      const alice = await as('alice').get('/jobs/summary');
      expect(alice.status).toBe(200);
      expect(alice.body).toMatchObject({ counts: { all: 2, queued: 2, running: 0, succeeded: 0 }, countLimit: 10_000 });
      expect(alice.body.finishedPerMinute).toHaveLength(60);
      expect(alice.body.finishedPerMinute.at(-1)).toMatchObject({ succeeded: 1, failed: 0 });
      expect((await as('admin').get('/jobs/summary')).body).toMatchObject({ counts: { all: 3 }, finishedPerMinute: expect.arrayContaining([expect.objectContaining({ succeeded: 1, failed: 1 })]) });
    });

    it('counts a repeated end once', async () => {
      const { body: record } = await submit(work);
      ended(record, 'succeeded', 'admin');
      edges.feed.emit({ ...edges.records.records.get(record.id)!, status: 'succeeded', finishedAt: new Date().toISOString(), updatedAt: 'again' });
      const minutes = (await api().get('/jobs/summary')).body.finishedPerMinute as Array<{ succeeded: number }>;
      expect(minutes.reduce((sum, minute) => sum + minute.succeeded, 0)).toBe(1);
    });

    it('reuses the counts for 2 s rather than counting the index again on every ask', async () => {
      await submit(work);
      expect((await api().get('/jobs/summary')).body.counts.all).toBe(1);
      await submit(work);
      expect((await api().get('/jobs/summary')).body.counts.all).toBe(1);
    });

    it('counts the jobs that ended in the hour before the api started, read from the store at start', async () => {
      const before = new FakeEdges();
      const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
      for (const [minutesAgo, status] of [[1, 'succeeded'], [2, 'failed'], [90, 'succeeded']] as const) {
        const record = newJobRecord({ ...work, id: randomUUID(), outputBucket: 'in.bucket', timeOut: 15 }, 'alice', at(minutesAgo + 1));
        before.records.records.set(record.id, { ...record, status, finishedAt: at(minutesAgo) });
      }
      const started = await before.app();
      try {
        // The scan runs beside the start; a few asks give it the time it needs.
        let minutes: Array<{ succeeded: number; failed: number }> = [];
        for (let ask = 0; ask < 50 && !minutes.some((minute) => minute.failed > 0); ask++) {
          minutes = (await request(started.getHttpServer()).get('/jobs/summary').set('authorization', bearer('admin'))).body.finishedPerMinute;
        }
        expect(minutes.reduce((sum, minute) => sum + minute.succeeded + minute.failed, 0)).toBe(2);
      } finally {
        await started.close();
      }
    });

    it('needs the read role and a token', async () => {
      expect((await request(app.getHttpServer()).get('/jobs/summary')).status).toBe(401);
    });
  });

  describe('GET /jobs/{id}', () => {
    it('answers the record, whatever the case of the id', async () => {
      const { body: record } = await submit(work);
      expect(await api().get(`/jobs/${record.id.toUpperCase()}`)).toMatchObject({ status: 200, body: { id: record.id } });
    });

    it('answers 404 for an unknown id and 400 for one that is not a UUID', async () => {
      const id = randomUUID();
      expect(await api().get(`/jobs/${id}`)).toMatchObject({ status: 404, body: { statusCode: 404, error: 'Not Found', message: `No job with id ${id}` } });
      expect((await api().get('/jobs/not-a-uuid')).status).toBe(400);
    });

    it('answers 503 when the S3 store cannot be reached', async () => {
      edges.records.unreachable = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' });
      const answer = await api().get(`/jobs/${randomUUID()}`);
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'The job store (S3) is not available: connect ECONNREFUSED 127.0.0.1:9000. Try again later.' });
    });
  });

  describe('DELETE /jobs/{id}', () => {
    it('answers 202 with the cancelled record, then 409 as it has ended', async () => {
      const { body: record } = await submit(work);
      expect(await api().delete(`/jobs/${record.id}`)).toMatchObject({ status: 202, body: { id: record.id, status: 'cancelled' } });
      expect(await api().delete(`/jobs/${record.id}`)).toMatchObject({ status: 409, body: { statusCode: 409, error: 'Conflict' } });
    });
  });
});
