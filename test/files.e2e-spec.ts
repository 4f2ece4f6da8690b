// Files through the api and the output manifest (issue 13), on the real system: a directory's worth of inputs, one
// of them over 50 MB, uploaded through the api into the bucket a Job reads; mstc/bucket-copy run on them; the
// outputs listed on the record and in the manifest, and downloaded byte for byte; and every refusal on the way.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobRecord, OutputManifest } from '@app/contracts';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tokenListEntry } from '../tools/local-stack/api-tokens.js';
import { ApiClient } from './support/http.js';
import { authEnv, eventually, TestSystem } from './support/system.js';

const MiB = 1024 * 1024;
const LIMIT = 60 * MiB;
const TOKENS = { alice: 'alice-files-token', bob: 'bob-files-token' };
const BUCKET = 'files.inputs';
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface Raw {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/**
 * One request with node:http, the path sent as written (fetch would resolve a `..` segment before sending it);
 * the body written in chunks, and the answer taken whenever it comes, even while the body is still going out.
 */
function raw(baseUrl: string, method: string, path: string, token: string, body?: { chunks: Iterable<Buffer>; length?: number }): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const url = new URL(baseUrl);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' };
    if (body?.length !== undefined) headers['content-length'] = String(body.length);
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    let answered = false;
    req.on('response', () => (answered = true));
    // A refusal may close the connection before the whole body is sent: only an error before any answer counts.
    req.on('error', (error) => (answered ? undefined : reject(error)));
    void (async () => {
      for (const chunk of body?.chunks ?? []) {
        if (answered || req.destroyed) break;
        if (!req.write(chunk)) await new Promise((drained) => req.once('drain', drained));
      }
      req.end();
    })();
  });
}

function* slices(data: Buffer, size = 256 * 1024): Iterable<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

describe('files through the api, and the outputs of a job', () => {
  let system: TestSystem;
  let alice: ApiClient;
  let bob: ApiClient;
  const inputs: Record<string, Buffer> = {
    'run-1/a.txt': Buffer.from('alpha\n'),
    'run-1/b/c.csv': Buffer.from('x,y\n1,2\n'),
    'run-1/big.bin': randomBytes(52 * MiB),
  };
  let done: JobRecord;
  let uploadedAt = 0;

  const put = (who: keyof typeof TOKENS, key: string, data: Buffer) => raw(system.apiUrl, 'PUT', `/files/${BUCKET}/${key}`, TOKENS[who], { chunks: slices(data), length: data.length });
  const get = (who: keyof typeof TOKENS, path: string) => raw(system.apiUrl, 'GET', path, TOKENS[who]);
  const json = <T>(answer: Raw) => JSON.parse(answer.body.toString()) as T;

  beforeAll(async () => {
    system = await TestSystem.start({
      env: {
        ...authEnv(tokenListEntry('alice', ['submit', 'read'], TOKENS.alice), tokenListEntry('bob', ['submit', 'read'], TOKENS.bob)),
        FILES_MAX_BYTES: String(LIMIT),
      },
    });
    alice = new ApiClient(() => system.apiUrl, TOKENS.alice);
    bob = new ApiClient(() => system.apiUrl, TOKENS.bob);
  });
  afterAll(() => system?.stop());

  it('uploads a directory of inputs, one of 52 MiB, streamed into the bucket with their owner', async () => {
    for (const [key, data] of Object.entries(inputs)) {
      const answer = await put('alice', key, data);
      uploadedAt = Date.now();
      expect(answer.status).toBe(201);
      expect(json(answer)).toEqual({ bucket: BUCKET, key, size: data.length, etag: expect.any(String) });
      const stat = await system.s3Client.statObject(BUCKET, key);
      expect(stat).toMatchObject({ size: data.length, metaData: expect.objectContaining({ 'cloud-worker-owner': 'alice' }) });
    }
    // In parts: the 52 MiB went to the store as a multipart upload.
    expect(system.s3.requests.some((request) => request.startsWith(`POST /${BUCKET}/run-1/big.bin?uploadId=`))).toBe(true);
    await eventually(() => system.api!.lines.some((line) => JSON.stringify(line.audit) === JSON.stringify({ action: 'upload', owner: 'alice', source: 'http', object: `s3://${BUCKET}/run-1/big.bin` })), 5000, 'the upload audited');
  });

  it('downloads an input byte for byte', async () => {
    const answer = await get('alice', `/files/${BUCKET}/run-1/big.bin`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-length']).toBe(String(52 * MiB));
    expect(sha256(answer.body)).toBe(sha256(inputs['run-1/big.bin']));
  });

  it('runs mstc/bucket-copy on them and records its outputs, not its inputs, on the record and in the manifest beside the log', async () => {
    // The test server lists whole seconds, and an input of the second the job is queued would count as an output.
    await eventually(() => Math.floor(Date.now() / 1000) > Math.floor(uploadedAt / 1000), 3000, 'the second after the uploads');
    const submitted = await alice.submit({ image: 'mstc/bucket-copy', jobName: 'copy', inputBucket: BUCKET, prefix: 'run-1' });
    expect(submitted.status).toBe(202);
    done = await alice.untilStatus(submitted.body.id, undefined, 60_000);
    const id = done.id;
    expect(done).toMatchObject({ status: 'succeeded', logObject: `run-1-copy-${id}.log`, manifestObject: `run-1-copy-${id}.manifest.json` });
    expect(done.outputs).toEqual([{ name: 'run-1-result.json', size: expect.any(Number), etag: expect.any(String), lastModified: expect.any(String) }]);
    const manifest = JSON.parse(await system.objectText(BUCKET, done.manifestObject!)) as OutputManifest;
    expect(manifest).toEqual({ id, jobName: `copy-${id}`, outputBucket: BUCKET, prefix: 'run-1', outputs: done.outputs });
    // The Job saw the inputs as uploaded.
    const result = JSON.parse(await system.objectText(BUCKET, 'run-1-result.json')) as { objects: Array<{ name: string; size: number; sha256: string }> };
    for (const [key, data] of Object.entries(inputs)) expect(result.objects).toContainEqual({ name: key, size: data.length, sha256: sha256(data) });
  }, 90_000);

  it('lists the outputs with download links and serves them byte for byte', async () => {
    const listing = await alice.request<{ outputBucket: string; manifestObject: string; outputs: Array<{ name: string; url: string; size: number }> }>('GET', `/jobs/${done.id}/outputs`);
    expect(listing.status).toBe(200);
    expect(listing.body).toEqual({ outputBucket: BUCKET, manifestObject: done.manifestObject, outputs: done.outputs!.map((output) => ({ ...output, url: `/jobs/${done.id}/outputs/${output.name}` })) });
    for (const output of listing.body.outputs) {
      const answer = await get('alice', output.url);
      expect(answer.status).toBe(200);
      const stored = Buffer.concat((await (await system.s3Client.getObject(BUCKET, output.name)).toArray()) as Buffer[]);
      expect(answer.body.length).toBe(output.size);
      expect(sha256(answer.body)).toBe(sha256(stored));
    }
    // Only what is listed: an input in the same bucket is not an output.
    expect((await get('alice', `/jobs/${done.id}/outputs/run-1/a.txt`)).status).toBe(404);
  });

  it("keeps another owner out: their files and job outputs are 404, replacing their file 403", async () => {
    expect((await get('bob', `/files/${BUCKET}/run-1/a.txt`)).status).toBe(404);
    expect((await bob.request('GET', `/jobs/${done.id}/outputs`)).status).toBe(404);
    expect((await get('bob', `/jobs/${done.id}/outputs/run-1-result.json`)).status).toBe(404);
    const replace = await put('bob', 'run-1/a.txt', Buffer.from('mine now'));
    expect(replace.status).toBe(403);
    expect(json<{ message: string }>(replace).message).toBe(`s3://${BUCKET}/run-1/a.txt exists and belongs to another owner; it cannot be replaced`);
    expect((await system.objectText(BUCKET, 'run-1/a.txt'))).toBe('alpha\n');
  });

  it('refuses a ".." key and the records bucket with 400 naming the rule', async () => {
    const climbing = await put('alice', 'run-1/../escape.txt', Buffer.from('x'));
    expect(climbing.status).toBe(400);
    expect(json(climbing)).toMatchObject({ errors: [{ field: 'key', rule: 'objectKey', message: 'key must not have "." or ".." segments' }] });
    const records = await raw(system.apiUrl, 'PUT', `/files/${system.names.recordsBucket}/jobs/forged.json`, TOKENS.alice, { chunks: [Buffer.from('{}')], length: 2 });
    expect(records.status).toBe(400);
    expect(json(records)).toMatchObject({ errors: [{ field: 'bucket', rule: 'recordsBucket' }] });
    expect(await system.s3Client.statObject(system.names.recordsBucket, 'jobs/forged.json').catch(() => undefined)).toBeUndefined();
  });

  it('refuses a file over FILES_MAX_BYTES with 413 and stores nothing, whether its length is declared or not', async () => {
    const declared = await raw(system.apiUrl, 'PUT', `/files/${BUCKET}/too-big-declared.bin`, TOKENS.alice, { chunks: [], length: LIMIT + 1 });
    expect(declared.status).toBe(413);
    // Without Content-Length: counted as it streams, refused once past the limit, its parts aborted.
    const streamed = await raw(system.apiUrl, 'PUT', `/files/${BUCKET}/too-big-streamed.bin`, TOKENS.alice, { chunks: slices(randomBytes(LIMIT + MiB)) });
    expect(streamed.status).toBe(413);
    expect(json<{ message: string }>(streamed).message).toBe(`The file is larger than the limit of ${LIMIT} bytes (FILES_MAX_BYTES); nothing was stored`);
    for (const key of ['too-big-declared.bin', 'too-big-streamed.bin']) expect(await system.s3Client.statObject(BUCKET, key).catch(() => undefined)).toBeUndefined();
    expect(system.s3.requests.some((request) => request.startsWith(`DELETE /${BUCKET}/too-big-streamed.bin?uploadId=`))).toBe(true);
  }, 60_000);
});
