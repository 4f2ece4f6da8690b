import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { newJobRecord, type JobRecord } from '@app/contracts';
import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { bearer, FakeEdges, SPEC_TOKENS } from '../../test/fakes.js';

const work = { image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'in.bucket' };

describe('AuthGuard and owners', () => {
  let edges: FakeEdges;
  let app: INestApplication;
  const as = (name: keyof typeof SPEC_TOKENS) => request.agent(app.getHttpServer()).set('authorization', bearer(name));
  const anonymous = () => request(app.getHttpServer());
  const stored = (owner: string | undefined): JobRecord => {
    const { owner: _none, ...record } = newJobRecord({ ...work, outputBucket: 'in.bucket', timeOut: 15, id: randomUUID() }, 'nobody', new Date().toISOString());
    const kept = owner === undefined ? record : { ...record, owner };
    edges.records.records.set(kept.id, kept);
    return kept;
  };

  beforeEach(async () => {
    edges = new FakeEdges();
    edges.config.SUBMIT_RATE_PER_MINUTE = 3;
    app = await edges.app();
  });
  afterEach(() => app.close());

  it('answers 401 with a Bearer challenge without a token, and marks a bad token invalid', async () => {
    const missing = await anonymous().get('/jobs');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="cloud-worker"');
    expect(missing.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'This request needs a bearer token in its Authorization header' });

    const bad = await anonymous().get('/jobs').set('authorization', 'Bearer not-a-token');
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toBe('Bearer realm="cloud-worker", error="invalid_token", error_description="the bearer token is not valid"');
    expect((await anonymous().get('/jobs').set('authorization', `Basic ${SPEC_TOKENS.admin}`)).body.message).toBe('The Authorization header must be the word Bearer, a space and the token');
  });

  it('answers 403 naming the role a route needs', async () => {
    const answer = await as('reader').post('/jobs').send(work);
    expect(answer.status).toBe(403);
    expect(answer.body.message).toBe('This request needs the role "submit" (or admin); the token of reader has read');
    expect((await as('reader').delete(`/jobs/${randomUUID()}`)).body.message).toMatch(/needs the role "cancel"/);
    expect((await as('reader').get('/jobs')).status).toBe(200);
    expect(edges.workQueue.requests).toEqual([]);
  });

  it('keeps /health open, and /metrics open unless METRICS_REQUIRE_TOKEN', async () => {
    expect((await anonymous().get('/health/live')).status).toBe(200);
    expect((await anonymous().get('/metrics')).status).toBe(200);
    await app.close();
    edges.config.METRICS_REQUIRE_TOKEN = true;
    app = await edges.app();
    expect((await anonymous().get('/metrics')).status).toBe(401);
    expect((await as('reader').get('/metrics')).status).toBe(200);
  });

  it("records the caller as owner; another owner's job answers 404 as an unknown one, and is not listed", async () => {
    const submitted = await as('alice').post('/jobs').send(work);
    expect(submitted.status).toBe(202);
    const { id } = submitted.body as JobRecord;
    expect(edges.records.records.get(id)?.owner).toBe('alice');

    for (const path of [`/jobs/${id}`, `/jobs/${id}/log`, `/job_status?job_id=${id}`]) {
      expect(await as('bob').get(path)).toMatchObject({ status: 404, body: { message: `No job with id ${id}` } });
    }
    expect(await as('bob').delete(`/jobs/${id}`)).toMatchObject({ status: 404, body: { message: `No job with id ${id}` } });
    expect(edges.records.records.get(id)?.status).toBe('queued');
    expect((await as('bob').get('/jobs')).body.jobs).toEqual([]);
    expect((await as('bob').get('/incomplete_jobs')).body.jobs).toEqual([]);

    expect((await as('alice').get(`/jobs/${id}`)).status).toBe(200);
    expect((await as('alice').get('/jobs')).body.jobs.map((job: JobRecord) => job.id)).toEqual([id]);
    expect((await as('admin').get(`/jobs/${id}`)).status).toBe(200);
    expect((await as('alice').delete(`/jobs/${id}`)).status).toBe(202);
  });

  it('shows records without owner to admins only', async () => {
    const old = stored(undefined);
    expect((await as('alice').get(`/jobs/${old.id}`)).status).toBe(404);
    expect((await as('alice').get('/jobs')).body.jobs).toEqual([]);
    expect((await as('admin').get(`/jobs/${old.id}`)).status).toBe(200);
    expect((await as('admin').get('/jobs')).body.jobs.map((job: JobRecord) => job.id)).toEqual([old.id]);
  });

  it('answers a repeated id of another owner as a conflict, not with their record', async () => {
    const theirs = stored('bob');
    const answer = await as('alice').post('/jobs').send({ ...theirs.request, id: theirs.id });
    expect(answer.status).toBe(409);
    expect(JSON.stringify(answer.body)).not.toContain('bob');
  });

  it('limits submissions per owner per minute: 429 with Retry-After, other owners unaffected', async () => {
    for (let i = 0; i < 3; i++) expect((await as('alice').post('/jobs').send(work)).status).toBe(202);
    const over = await as('alice').post('/jobs').send(work);
    expect(over.status).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(over.body.message).toMatch(/^alice may submit 3 requests per minute \(SUBMIT_RATE_PER_MINUTE\); try again in \d+ s$/);
    expect((await as('bob').post('/jobs').send(work)).status).toBe(202);
    expect(edges.workQueue.requests).toHaveLength(4);
  });
});
