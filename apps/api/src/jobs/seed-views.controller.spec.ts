import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { newJobRecord, type JobRecord, type JobStatus } from '@app/contracts';
import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { bearer, FakeEdges } from '../../test/fakes.js';

describe('SeedViewsController', () => {
  let edges: FakeEdges;
  let app: INestApplication;
  const api = () => request.agent(app.getHttpServer()).set('authorization', bearer('admin'));
  const byStatus = new Map<JobStatus, JobRecord>();

  beforeEach(async () => {
    edges = new FakeEdges();
    let second = 0;
    for (const status of ['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled'] as const) {
      const work = { id: randomUUID(), image: 'mstc/python-test', jobName: status.replace('_', '-'), inputBucket: 'in.bucket', outputBucket: 'in.bucket', timeOut: 15 };
      const record = { ...newJobRecord(work, 'alice', `2026-01-01T00:00:0${second++}.000Z`), status };
      edges.records.records.set(record.id, record);
      byStatus.set(status, record);
    }
    app = await edges.app();
  });
  afterEach(() => app.close());

  const idsOf = (statuses: JobStatus[]) => statuses.map((status) => byStatus.get(status)!.id);
  const listed = async (path: string) => {
    const answer = await api().get(path);
    expect(answer.status).toBe(200);
    return (answer.body as { jobs: JobRecord[] }).jobs.map((record) => record.id);
  };

  it('answers GET /job_status?job_id= with the record, 404 when unknown, 400 without a UUID', async () => {
    const record = byStatus.get('running')!;
    expect(await api().get(`/job_status?job_id=${record.id}`)).toMatchObject({ status: 200, body: record });
    expect((await api().get(`/job_status?job_id=${randomUUID()}`)).status).toBe(404);
    expect((await api().get('/job_status')).status).toBe(400);
  });

  it('lists the ended jobs, newest first', async () => {
    expect(await listed('/completed_jobs')).toEqual(idsOf(['cancelled', 'timed_out', 'failed', 'succeeded']));
  });

  it('lists the queued and running jobs', async () => {
    expect(await listed('/incomplete_jobs')).toEqual(idsOf(['running', 'queued']));
  });

  it('lists the running jobs', async () => {
    expect(await listed('/inprogress_jobs')).toEqual(idsOf(['running']));
  });

  it('pages like /jobs', async () => {
    expect(await listed('/completed_jobs?limit=2')).toEqual(idsOf(['cancelled', 'timed_out']));
    const answer = await api().get('/incomplete_jobs?limit=ten');
    expect(answer).toMatchObject({ status: 400, body: { message: 'Invalid query: limit must be an integer', errors: [{ field: 'limit', rule: 'isInt' }] } });
  });
});
