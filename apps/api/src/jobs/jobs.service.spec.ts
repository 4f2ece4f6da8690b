import { beforeEach, describe, expect, it } from '@jest/globals';
import { CANCEL_COMMAND, newJobRecord, type JobRecord, type WorkRequest } from '@app/contracts';
import { ConflictException, HttpException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { FakeEdges } from '../../test/fakes.js';
import { ApiMetrics } from '../api.metrics.js';
import type { Caller } from '../auth/caller.js';
import { JobsService } from './jobs.service.js';

const alice: Caller = { owner: 'alice', roles: new Set(['submit', 'read', 'cancel']) };

const work: WorkRequest = { image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'in.bucket', outputBucket: 'in.bucket', timeOut: 15 };

describe('JobsService', () => {
  let edges: FakeEdges;
  let jobs: JobsService;
  let metrics: ApiMetrics;

  beforeEach(async () => {
    edges = new FakeEdges();
    const module = await edges.compile();
    jobs = module.get(JobsService);
    metrics = module.get(ApiMetrics);
  });

  const submissions = async (outcome: string) => (await metrics.submissions.get()).values.find((sample) => sample.labels.outcome === outcome)?.value ?? 0;
  /** A record as the worker would have left it. */
  const stored = (status: JobRecord['status'], changes: Partial<JobRecord> = {}): JobRecord => {
    const record = { ...newJobRecord({ ...work, id: randomUUID() }, 'alice', new Date().toISOString()), status, ...changes };
    edges.records.records.set(record.id, record);
    return record;
  };
  const bodyOf = (error: unknown) => (error as HttpException).getResponse();

  describe('submit', () => {
    it('records the request as queued, announces it, then queues it', async () => {
      const { record, replayed } = await jobs.submit(work, alice);
      expect(replayed).toBe(false);
      expect(edges.records.records.get(record.id)).toMatchObject({ status: 'queued', jobName: `test-job-${record.id}`, request: work, announced: ['queued'] });
      expect(edges.publisher.events(record.id)).toEqual(['job.queued']);
      expect(edges.workQueue.requests).toEqual([{ ...work, id: record.id }]);
      expect(await submissions('accepted')).toBe(1);
    });

    it('keeps the id the client chose', async () => {
      const id = randomUUID();
      expect((await jobs.submit({ ...work, id }, alice)).record.id).toBe(id);
    });

    it('answers a repeat of the same request with its record, queueing it again only while it is queued', async () => {
      const id = randomUUID();
      const first = await jobs.submit({ ...work, id }, alice);
      const again = await jobs.submit({ ...work, id }, alice);
      expect(again).toEqual({ record: first.record, replayed: true });
      expect(edges.workQueue.requests).toHaveLength(2);
      expect(edges.publisher.events(id)).toEqual(['job.queued']);

      edges.records.records.set(id, { ...first.record, status: 'running' });
      await jobs.submit({ ...work, id }, alice);
      expect(edges.workQueue.requests).toHaveLength(2);
      expect(await submissions('replayed')).toBe(2);
    });

    it('refuses other work under a used id with 409', async () => {
      const id = randomUUID();
      await jobs.submit({ ...work, id }, alice);
      const refusal = await jobs.submit({ ...work, id, image: 'mstc/sleep' }, alice).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(ConflictException);
      expect(bodyOf(refusal)).toEqual({ statusCode: 409, error: 'Conflict', message: `A different request was already submitted with id ${id}; choose a new id.` });
      expect(edges.records.records.get(id)?.request.image).toBe('mstc/python-test');
      expect(await submissions('conflict')).toBe(1);
    });

    it.each([
      ['the work queue client', (edges: FakeEdges) => (edges.workQueue.down = true)],
      ['the publisher', (edges: FakeEdges) => (edges.publisher.down = true)],
    ])('answers 503 and stores nothing while %s is not connected', async (_connection, disconnect) => {
      disconnect(edges);
      const refusal = await jobs.submit(work, alice).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(ServiceUnavailableException);
      expect((bodyOf(refusal) as { message: string }).message).toMatch(/^RabbitMQ is not reachable/);
      expect(edges.records.records.size).toBe(0);
      expect(edges.workQueue.requests).toEqual([]);
      expect(await submissions('unavailable')).toBe(1);
    });

    it.each([
      ['the queued event', (edges: FakeEdges) => (edges.publisher.unconfirmed = 1)],
      ['the work request', (edges: FakeEdges) => (edges.workQueue.unconfirmed = true)],
    ])('removes the record again and answers 503 when RabbitMQ does not confirm %s', async (_message, refuse) => {
      refuse(edges);
      const refusal = await jobs.submit(work, alice).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(ServiceUnavailableException);
      expect((bodyOf(refusal) as { message: string }).message).toMatch(/^RabbitMQ did not confirm the request/);
      expect(edges.records.records.size).toBe(0);
      expect(edges.workQueue.requests).toEqual([]);
    });
  });

  describe('get and list', () => {
    it('answers 404 for an unknown id', async () => {
      const id = randomUUID();
      const refusal = await jobs.get(id, alice).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(NotFoundException);
      expect(bodyOf(refusal)).toEqual({ statusCode: 404, error: 'Not Found', message: `No job with id ${id}` });
    });

    it('pages records of the statuses asked for', async () => {
      const running = [stored('running', { queuedAt: '2026-01-01T00:00:01.000Z' }), stored('running', { queuedAt: '2026-01-01T00:00:02.000Z' })];
      stored('succeeded');
      const first = await jobs.list(alice, ['running'], 1);
      expect(first.jobs).toEqual([running[1]]);
      expect(await jobs.list(alice, ['running'], 1, first.nextCursor!)).toEqual({ jobs: [running[0]], nextCursor: null });
      expect((await jobs.list(alice, 'all', 10)).jobs).toHaveLength(3);
    });

    it('answers a cursor it did not hand out as an invalid query naming the cursor', async () => {
      const refusal = await jobs.list(alice, 'all', 10, 'forged').catch((error: unknown) => error);
      expect(bodyOf(refusal)).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'Invalid query: cursor is not one this api handed out',
        errors: [{ field: 'cursor', rule: 'isCursor', message: 'cursor is not one this api handed out' }],
      });
    });
  });

  describe('cancel', () => {
    it.each(['queued', 'running'] as const)('cancels a %s job, announces it, records the announcement and tells the workers', async (status) => {
      const record = stored(status);
      const cancelled = await jobs.cancel(record.id, alice);
      expect(cancelled).toMatchObject({ id: record.id, status: 'cancelled', reason: 'Cancelled', exitCode: null });
      expect(edges.publisher.events(record.id)).toEqual(['job.cancelled']);
      expect(edges.records.records.get(record.id)).toMatchObject({ status: 'cancelled', announced: ['cancelled'] });
      const commands = edges.publisher.messages.filter((message) => message.exchange === edges.config.CONTROL_EXCHANGE);
      expect(commands.map((message) => message.body)).toEqual([{ pattern: CANCEL_COMMAND, data: { id: record.id } }]);
    });

    it('leaves the announcement to a worker when RabbitMQ does not confirm the event', async () => {
      const record = stored('running');
      edges.publisher.unconfirmed = 1;
      expect((await jobs.cancel(record.id, alice)).status).toBe('cancelled');
      const kept = edges.records.records.get(record.id)!;
      expect(kept.status).toBe('cancelled');
      expect(kept.announced ?? []).not.toContain('cancelled');
    });

    it('refuses a job that has ended with 409, and changes nothing', async () => {
      const record = stored('succeeded', { exitCode: 0 });
      const refusal = await jobs.cancel(record.id, alice).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(ConflictException);
      expect((bodyOf(refusal) as { message: string }).message).toBe(`Job ${record.id} has already ended (succeeded); there is nothing to cancel.`);
      expect(edges.records.records.get(record.id)).toEqual(record);
      expect(edges.publisher.messages).toEqual([]);
    });

    it('answers 404 for an unknown id', async () => {
      await expect(jobs.cancel(randomUUID(), alice)).rejects.toBeInstanceOf(NotFoundException);
    });
  });

  describe('openLog', () => {
    it('streams the stored log', async () => {
      const record = stored('succeeded', { logObject: 'test-job.log' });
      edges.logs.objects.set(`in.bucket/test-job.log`, 'Started\nSUCCESS\n');
      const { stream, size } = await jobs.openLog(record.id, alice);
      expect(Buffer.concat(await stream.toArray()).toString()).toBe('Started\nSUCCESS\n');
      expect(size).toBe(16);
    });

    it.each([
      ['no log is named yet', null],
      ['the named log is not in the bucket', 'gone.log'],
    ])('answers 404 when %s', async (_case, logObject) => {
      const record = stored('running', { logObject });
      const refusal = await jobs.openLog(record.id, alice).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(NotFoundException);
      expect((bodyOf(refusal) as { message: string }).message).toBe(`Job ${record.id} has no stored log yet (status running)`);
    });

    it('answers 404 for an unknown id', async () => {
      await expect(jobs.openLog(randomUUID(), alice)).rejects.toBeInstanceOf(NotFoundException);
    });
  });
});
