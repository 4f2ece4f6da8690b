import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { newJobRecord, type JobRecord } from '@app/contracts';
import type { INestApplication } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { bearer, FakeEdges, SPEC_TOKENS } from '../../test/fakes.js';

const binary = (response: request.Response, callback: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => callback(null, Buffer.concat(chunks)));
};

describe('FilesController and OutputsController', () => {
  let edges: FakeEdges;
  let app: INestApplication;
  const as = (who: keyof typeof SPEC_TOKENS) => request.agent(app.getHttpServer()).set('authorization', bearer(who));
  const upload = (who: keyof typeof SPEC_TOKENS, path: string, body: Buffer | string, contentType = 'application/octet-stream') =>
    as(who).put(`/files/${path}`).set('content-type', contentType).send(body);
  const download = (who: keyof typeof SPEC_TOKENS, path: string) => as(who).get(path).buffer(true).parse(binary);

  beforeEach(async () => {
    edges = new FakeEdges();
    edges.config.FILES_MAX_BYTES = 1000;
    app = await edges.app();
  });
  afterEach(() => app.close());

  describe('PUT /files/{bucket}/{key}', () => {
    it('streams the body into the bucket as the object, owned by the caller, and answers 201', async () => {
      const body = randomBytes(1000);
      const answer = await upload('alice', 'in.bucket/run-7/data.bin', body);
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({ bucket: 'in.bucket', key: 'run-7/data.bin', size: 1000, etag: expect.stringMatching(/^[0-9a-f]{32}$/) });
      const stored = edges.storage.objects.get('in.bucket/run-7/data.bin')!;
      expect(stored.body.equals(body)).toBe(true);
      expect(stored.metadata).toEqual({ 'cloud-worker-owner': 'alice' });
      expect(edges.storage.buckets.has('in.bucket')).toBe(true);
    });

    it('takes any body as bytes, JSON included: the JSON body parser leaves files alone', async () => {
      expect((await upload('alice', 'in.bucket/a.json', '{"not": "parsed"', 'application/json')).status).toBe(201);
      expect(edges.storage.objects.get('in.bucket/a.json')).toMatchObject({ contentType: 'application/json', body: Buffer.from('{"not": "parsed"') });
    });

    it('refuses a body over FILES_MAX_BYTES with 413 and stores nothing', async () => {
      const answer = await upload('alice', 'in.bucket/big.bin', randomBytes(1001));
      expect(answer.status).toBe(413);
      expect(answer.body).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'The file is larger than the limit of 1000 bytes (FILES_MAX_BYTES); nothing was stored' });
      expect(edges.storage.objects.size).toBe(0);
    });

    it('counts the bytes of a body without Content-Length as they come', async () => {
      const test = as('alice').put('/files/in.bucket/chunked.bin');
      test.set('transfer-encoding', 'chunked');
      test.write(randomBytes(600));
      test.write(randomBytes(600));
      const answer = await test;
      expect(answer.status).toBe(413);
      expect(edges.storage.objects.size).toBe(0);
    });

    it.each([
      ['in.bucket/a/%2E%2E/b', 'key', 'objectKey', 'key must not have "." or ".." segments'],
      ['in.bucket/a%20b', 'key', 'objectKey', "key may only contain letters, digits and the characters ! _ . ' ( ) / -"],
      ['In_Bucket/a', 'bucket', 'bucketName', 'bucket may only contain lowercase letters, digits, dots and hyphens'],
      ['cloud-worker-records/jobs/x.json', 'bucket', 'recordsBucket', 'bucket must not be cloud-worker-records: it holds the job records (RECORDS_BUCKET)'],
    ])('refuses %s with 400 naming the rule', async (path, field, rule, message) => {
      const answer = await upload('alice', path, 'x');
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ statusCode: 400, message: `Invalid file path: ${message}`, errors: [{ field, rule, message }] });
      expect(edges.storage.objects.size).toBe(0);
    });

    it("refuses to replace another owner's object (403), lets its owner and an admin replace it", async () => {
      await upload('alice', 'in.bucket/shared.txt', 'alice 1');
      expect(await upload('bob', 'in.bucket/shared.txt', 'bob')).toMatchObject({ status: 403, body: { message: 's3://in.bucket/shared.txt exists and belongs to another owner; it cannot be replaced' } });
      expect((await upload('alice', 'in.bucket/shared.txt', 'alice 2')).status).toBe(201);
      expect((await upload('admin', 'in.bucket/shared.txt', 'admin')).status).toBe(201);
      expect(edges.storage.objects.get('in.bucket/shared.txt')!.body.toString()).toBe('admin');
    });

    it('needs the submit role', async () => {
      expect((await upload('reader', 'in.bucket/a.txt', 'x')).status).toBe(403);
    });
  });

  describe('GET /files/{bucket}/{key}', () => {
    it("streams the caller's own object with its length, type and ETag", async () => {
      const body = randomBytes(700);
      const { body: stored } = await upload('alice', 'in.bucket/run-7/data.bin', body);
      const answer = await download('alice', '/files/in.bucket/run-7/data.bin');
      expect(answer.status).toBe(200);
      expect((answer.body as Buffer).equals(body)).toBe(true);
      expect(answer.headers).toMatchObject({ 'content-length': '700', 'content-type': 'application/octet-stream', etag: `"${stored.etag}"` });
    });

    it("answers another owner's object as missing (404), and shows any to an admin", async () => {
      await upload('alice', 'in.bucket/mine.txt', 'alice');
      expect(await download('bob', '/files/in.bucket/mine.txt')).toMatchObject({ status: 404 });
      expect(await download('bob', '/files/in.bucket/nothing.txt')).toMatchObject({ status: 404 });
      expect((await download('admin', '/files/in.bucket/mine.txt')).body.toString()).toBe('alice');
    });

    it('refuses the records bucket', async () => {
      expect((await download('admin', '/files/cloud-worker-records/jobs/x.json')).status).toBe(400);
    });
  });

  describe('GET /jobs/{id}/outputs', () => {
    const outputs = [
      { name: 'p7-result.json', size: 2, etag: 'e1', lastModified: '2026-12-05T10:00:03.000Z' },
      { name: 'p7/plots/a b.png', size: 3, etag: 'e2', lastModified: '2026-12-05T10:00:04.000Z' },
    ];

    function job(owner: string, extra: Partial<JobRecord> = {}): JobRecord {
      const record = { ...newJobRecord({ id: randomUUID(), image: 'mstc/bucket-copy', jobName: 'copy', inputBucket: 'in.bucket', outputBucket: 'out.bucket', timeOut: 15, prefix: 'p7' }, owner, '2026-12-05T10:00:00.000Z'), status: 'succeeded' as const, outputs, manifestObject: 'p7-copy.manifest.json', ...extra };
      edges.records.records.set(record.id, record);
      edges.storage.objects.set('out.bucket/p7-result.json', { body: Buffer.from('{}'), size: 2, etag: 'e1', contentType: 'application/json', metadata: {} });
      edges.storage.objects.set('out.bucket/p7-secret.txt', { body: Buffer.from('not listed'), size: 10, etag: 'e3', contentType: 'text/plain', metadata: {} });
      return record;
    }

    it('lists the outputs of an ended job with their download links', async () => {
      const record = job('alice');
      const answer = await as('alice').get(`/jobs/${record.id}/outputs`);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        outputBucket: 'out.bucket',
        manifestObject: 'p7-copy.manifest.json',
        outputs: [
          { ...outputs[0], url: `/jobs/${record.id}/outputs/p7-result.json` },
          { ...outputs[1], url: `/jobs/${record.id}/outputs/p7/plots/a%20b.png` },
        ],
      });
    });

    it('serves a listed output, and nothing that is not listed', async () => {
      const record = job('alice');
      const answer = await download('alice', `/jobs/${record.id}/outputs/p7-result.json`);
      expect(answer).toMatchObject({ status: 200, headers: { 'content-type': 'application/json', etag: '"e1"' } });
      expect(answer.body.toString()).toBe('{}');
      expect(await download('alice', `/jobs/${record.id}/outputs/p7-secret.txt`)).toMatchObject({ status: 404, body: expect.anything() });
    });

    it("answers 404 until the job has ended, and for another owner's job", async () => {
      const running = job('alice', { status: 'running', outputs: undefined, manifestObject: undefined });
      expect(await as('alice').get(`/jobs/${running.id}/outputs`)).toMatchObject({ status: 404, body: { message: `Job ${running.id} has not ended (status running); its outputs are listed when it ends` } });
      const ended = job('alice');
      expect((await as('bob').get(`/jobs/${ended.id}/outputs`)).status).toBe(404);
      expect((await download('bob', `/jobs/${ended.id}/outputs/p7-result.json`)).status).toBe(404);
    });
  });
});
