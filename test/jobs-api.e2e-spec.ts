import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobRecord } from '@app/contracts';
import { randomUUID } from 'node:crypto';
import { ApiClient } from './support/http.js';
import { eventually, pythonTestImage, TestSystem } from './support/system.js';

interface Page {
  jobs: JobRecord[];
  nextCursor: string | null;
}


/**
 * The job status API over a system whose worker starts late, so that jobs can be seen (and cancelled) while
 * they are still queued.
 */
describe('the job status API', () => {
  let system: TestSystem;
  let api: ApiClient;
  let events: Array<{ routingKey: string; record: JobRecord }>;
  const queued: JobRecord[] = [];

  beforeAll(async () => {
    system = await TestSystem.start({ workers: 0, sim: { images: pythonTestImage(0.2) } });
    api = new ApiClient(() => system.apiUrl);
    events = await system.resultEvents();
    for (let i = 0; i < 5; i++) {
      const { status, body } = await api.submit({ image: 'mstc/python-test', jobName: `listed-${i}`, inputBucket: 'api.inputs' });
      expect(status).toBe(202);
      queued.push(body);
    }
  });
  afterAll(() => system?.stop());

  const newestFirst = () => [...queued].reverse().map((record) => record.id);

  describe('while no worker runs', () => {
    it('lists queued jobs newest first, a page at a time', async () => {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `/jobs?status=queued&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page: { status: number; body: Page } = await api.request<Page>('GET', query);
        expect(page.status).toBe(200);
        expect(page.body.jobs.length).toBeLessThanOrEqual(2);
        ids.push(...page.body.jobs.map((record) => record.id));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor);
      expect(ids).toEqual(newestFirst());
      expect(pages).toBe(3);
    });

    it('shows them as incomplete, and none as in progress or completed', async () => {
      expect((await api.request<Page>('GET', '/incomplete_jobs')).body.jobs.map((r) => r.id)).toEqual(newestFirst());
      expect((await api.request<Page>('GET', '/inprogress_jobs')).body.jobs).toEqual([]);
      expect((await api.request<Page>('GET', '/completed_jobs')).body.jobs).toEqual([]);
    });

    it('answers the seed-002 job_status view', async () => {
      const answer = await api.request<JobRecord>('GET', `/job_status?job_id=${queued[0].id}`);
      expect(answer).toMatchObject({ status: 200, body: { id: queued[0].id, status: 'queued' } });
      const upperCase = queued[0].id.toUpperCase();
      expect(await api.request<JobRecord>('GET', `/job_status?job_id=${upperCase}`)).toMatchObject({ status: 200, body: { id: queued[0].id } });
      expect(await api.request<JobRecord>('GET', `/jobs/${upperCase}`)).toMatchObject({ status: 200, body: { id: queued[0].id } });
      expect((await api.request('GET', '/job_status')).status).toBe(400);
      expect((await api.request('GET', `/job_status?job_id=${randomUUID()}`)).status).toBe(404);
    });

    it('has no log for a job that has not run', async () => {
      const answer = await api.request<{ message: string }>('GET', `/jobs/${queued[1].id}/log`);
      expect(answer.status).toBe(404);
      expect(answer.body.message).toContain('no stored log yet');
    });

    it('cancels a queued job, which then never starts', async () => {
      const answer = await api.request<JobRecord>('DELETE', `/jobs/${queued[0].id}`);
      expect(answer).toMatchObject({ status: 202, body: { id: queued[0].id, status: 'cancelled', reason: 'Cancelled' } });
      expect((await api.request<Page>('GET', '/jobs?status=cancelled')).body.jobs.map((r) => r.id)).toEqual([queued[0].id]);
      expect((await api.request<Page>('GET', '/jobs?status=queued')).body.jobs.map((r) => r.id)).not.toContain(queued[0].id);
    });

    it('refuses bad listing parameters with the rule broken', async () => {
      for (const query of ['status=done', 'limit=0', 'limit=101', 'limit=ten', 'cursor=bm9wZQ']) {
        const answer = await api.request<{ message: string; statusCode: number }>('GET', `/jobs?${query}`);
        expect([query, answer.status]).toEqual([query, 400]);
        expect(answer.body.message).toMatch(/^Invalid query: /);
      }
    });
  });

  describe('once a worker runs', () => {
    beforeAll(async () => {
      await system.startWorker();
      await Promise.all(queued.slice(1).map((record) => api.untilStatus(record.id, ['succeeded'])));
    });

    it('never ran the job cancelled while queued', async () => {
      expect(system.sim.get('jobs', 'default', queued[0].jobName)).toBeUndefined();
      expect(system.sim.requests.filter((r) => r.verb === 'create' && r.resource === 'jobs' && r.status === 201)).toHaveLength(4);
      expect((await api.record(queued[0].id)).status).toBe('cancelled');
    });

    it('lists completed jobs and filters by several statuses', async () => {
      const completed = (await api.request<Page>('GET', '/completed_jobs?limit=100')).body.jobs.map((r) => r.id);
      expect(completed).toEqual(newestFirst());
      const both = (await api.request<Page>('GET', '/jobs?status=succeeded,cancelled')).body.jobs.map((r) => r.id);
      expect(both).toEqual(newestFirst());
      expect((await api.request<Page>('GET', '/jobs?status=succeeded')).body.jobs).toHaveLength(4);
      expect((await api.request<Page>('GET', '/incomplete_jobs')).body.jobs).toEqual([]);
    });

    it('streams the stored log', async () => {
      const answer = await api.request<string>('GET', `/jobs/${queued[2].id}/log`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toContain('text/plain');
      expect(answer.body).toContain('SUCCESS');
      expect(answer.body).toContain('INPUT_BUCKET: api.inputs');
    });

    it('refuses to cancel a job that has ended', async () => {
      const answer = await api.request<{ message: string }>('DELETE', `/jobs/${queued[3].id}`);
      expect(answer.status).toBe(409);
      expect(answer.body.message).toContain('already ended (succeeded)');
      expect((await api.request('DELETE', `/jobs/${randomUUID()}`)).status).toBe(404);
      expect((await api.request('DELETE', '/jobs/not-a-uuid')).status).toBe(400);
    });

    it('cancels a running job: Job deleted, log so far kept, the event says so', async () => {
      const { body: sleeper } = await api.submit({ image: 'mstc/sleep', jobName: 'sleeper', inputBucket: 'api.inputs' });
      await api.untilStatus(sleeper.id, ['running']);
      const pod = await eventually(() => system.sim.list('pods', 'default').find((p) => p.metadata.labels?.['job-name'] === sleeper.jobName), 10_000, 'the pod');
      await eventually(async () => {
        const log = await fetch(`${system.sim.url}/api/v1/namespaces/default/pods/${pod.metadata.name}/log?container=sleeper`);
        return log.ok && (await log.text()).includes('Started');
      }, 10_000, 'the container to log');
      const answer = await api.request<JobRecord>('DELETE', `/jobs/${sleeper.id}`);
      expect(answer).toMatchObject({ status: 202, body: { status: 'cancelled' } });

      const withLog = await eventually(async () => (await api.record(sleeper.id)).logObject && (await api.record(sleeper.id)), 10_000, 'the log to be stored');
      expect(withLog).toMatchObject({ status: 'cancelled', reason: 'Cancelled', logObject: `${sleeper.jobName}.log` });
      await eventually(() => system.sim.get('jobs', 'default', sleeper.jobName) === undefined, 10_000, 'the Job to be deleted');
      const deletion = system.sim.requests.find((r) => r.verb === 'delete' && r.name === sleeper.jobName);
      expect(deletion?.query.propagationPolicy).toBe('Background');
      expect((await api.request<string>('GET', `/jobs/${sleeper.id}/log`)).body).toContain('Started, sleeping until killed');
      const sequence = await eventually(() => {
        const mine = events.filter((event) => event.record.id === sleeper.id).map((event) => event.routingKey);
        return mine.length >= 3 && mine;
      }, 5000, 'the events');
      expect(sequence).toEqual(['job.queued', 'job.running', 'job.cancelled']);
    });

    it('published every transition of each job, in order, carrying the record', () => {
      for (const record of queued.slice(1)) {
        const mine = events.filter((event) => event.record.id === record.id);
        expect(mine.map((event) => event.routingKey)).toEqual(['job.queued', 'job.running', 'job.succeeded']);
        expect(mine.map((event) => event.record.status)).toEqual(['queued', 'running', 'succeeded']);
        expect(mine[2].record).toMatchObject({ jobName: record.jobName, exitCode: 0, logObject: `${record.jobName}.log` });
      }
      expect(events.filter((event) => event.record.id === queued[0].id).map((event) => event.routingKey)).toEqual(['job.queued', 'job.cancelled']);
    });
  });
});
