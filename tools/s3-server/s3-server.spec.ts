import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'minio';
import { startS3Server, type S3Server } from './s3-server.js';
import { eventually } from '../../test/support/system.js';

describe('the S3 test server', () => {
  let s3: S3Server;
  let client: Client;
  beforeAll(async () => {
    s3 = await startS3Server();
    client = new Client({ endPoint: s3.host, port: s3.port, useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey });
    await client.makeBucket('conditional');
  });
  afterAll(() => s3.stop());

  it('creates an object only once with If-None-Match: *', async () => {
    await client.putObject('conditional', 'once', 'first', undefined, { 'If-None-Match': '*' });
    await expect(client.putObject('conditional', 'once', 'second', undefined, { 'If-None-Match': '*' })).rejects.toMatchObject({
      code: 'PreconditionFailed',
    });
    const body = await (await client.getObject('conditional', 'once')).toArray();
    expect(Buffer.concat(body).toString()).toBe('first');
  });

  it('replaces an object only while its ETag still matches', async () => {
    const { etag } = await client.putObject('conditional', 'cas', 'v1');
    const second = await client.putObject('conditional', 'cas', 'v2', undefined, { 'If-Match': `"${etag}"` });
    await expect(client.putObject('conditional', 'cas', 'v3', undefined, { 'If-Match': `"${etag}"` })).rejects.toMatchObject({
      code: 'PreconditionFailed',
    });
    await client.putObject('conditional', 'cas', 'v3', undefined, { 'If-Match': `"${second.etag}"` });
    const body = await (await client.getObject('conditional', 'cas')).toArray();
    expect(Buffer.concat(body).toString()).toBe('v3');
  });

  it('answers If-Match on a missing key with NoSuchKey', async () => {
    await expect(client.putObject('conditional', 'missing', 'x', undefined, { 'If-Match': '"abc"' })).rejects.toMatchObject({
      code: 'NoSuchKey',
    });
  });

  it('lets exactly one of many concurrent conditional writers win', async () => {
    const { etag } = await client.putObject('conditional', 'race', 'start');
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => client.putObject('conditional', 'race', `w${i}`, undefined, { 'If-Match': `"${etag}"` })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('rejects an unknown access key', async () => {
    const stranger = new Client({ endPoint: s3.host, port: s3.port, useSSL: false, accessKey: 'nobody', secretKey: 'x' });
    await expect(stranger.bucketExists('conditional')).rejects.toMatchObject({ code: 'InvalidAccessKeyId' });
  });

  it('takes an object of unknown size as a multipart upload', async () => {
    const { Readable } = await import('node:stream');
    const smallParts = new Client({ endPoint: s3.host, port: s3.port, useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey, partSize: 5 * 1024 * 1024 });
    const chunk = Buffer.alloc(6 * 1024 * 1024, 'a');
    await smallParts.putObject('conditional', 'streamed', Readable.from([chunk, chunk]));
    expect(s3.requests.some((request) => request.startsWith('POST /conditional/streamed?uploads'))).toBe(true);
    expect((await client.statObject('conditional', 'streamed')).size).toBe(chunk.length * 2);
  });

  it('does not leave a key locked when a client goes away while its request waits for the key', async () => {
    const { request, get } = await import('node:http');
    await client.putObject('conditional', 'abandoned', 'v1');
    // A PUT whose body is still coming holds the key.
    const slow = request({ host: s3.host, port: s3.port, method: 'PUT', path: '/conditional/abandoned', headers: { 'content-length': '2' } });
    slow.on('error', () => undefined);
    slow.on('response', (response) => response.resume());
    slow.write('a');
    await eventually(() => s3.requests.includes('PUT /conditional/abandoned'), 2000, 'the PUT to arrive');
    // A GET queued behind it whose client gives up, as a killed app's would.
    const queued = get({ host: s3.host, port: s3.port, path: '/conditional/abandoned' });
    queued.on('error', () => undefined);
    await eventually(() => s3.requests.filter((r) => r === 'GET /conditional/abandoned').length === 1, 2000, 'the GET to arrive');
    queued.destroy();
    slow.end('b');
    // The next request for the key is served (s3rver takes the unsigned PUT).
    const body = await (await client.getObject('conditional', 'abandoned')).toArray();
    expect(Buffer.concat(body).toString()).toBe('ab');
  }, 10_000);

  it('denies every request on a denied bucket with 403 AccessDenied, and serves it again once allowed', async () => {
    await client.makeBucket('guarded');
    await client.putObject('guarded', 'kept', 'before');
    s3.deny('guarded');
    await expect(client.putObject('guarded', 'new', 'x')).rejects.toMatchObject({ code: 'AccessDenied' });
    await expect(client.getObject('guarded', 'kept')).rejects.toMatchObject({ code: 'AccessDenied' });
    // A HEAD answer has no body; the client still reads the status as AccessDenied.
    await expect(client.bucketExists('guarded')).rejects.toMatchObject({ code: 'AccessDenied' });
    await expect(client.statObject('guarded', 'kept')).rejects.toMatchObject({ code: 'AccessDenied' });
    // Other buckets are untouched.
    await client.putObject('conditional', 'beside-denied', 'y');
    const raw = await fetch(`${s3.endpoint}/guarded/kept`);
    expect(raw.status).toBe(403);
    expect(await raw.text()).toMatch(/<Error><Code>AccessDenied<\/Code><Message>Access Denied<\/Message><Resource>\/guarded\/kept<\/Resource>/);
    s3.allow('guarded');
    const body = await (await client.getObject('guarded', 'kept')).toArray();
    expect(Buffer.concat(body).toString()).toBe('before');
    await client.putObject('guarded', 'new', 'x');
  });

  it('survives deletes and writes racing in one folder, and serves whole objects only', async () => {
    await client.makeBucket('racing');
    const reads: Promise<string>[] = [];
    const overwrites: Promise<unknown>[] = [];
    for (let round = 0; round < 50; round++) {
      await client.putObject('racing', `folder/a${round}`, 'x', 1);
      await Promise.all([
        client.removeObject('racing', `folder/a${round}`),
        client.putObject('racing', `folder/b${round}`, 'y'.repeat(100_000), 100_000),
        client.removeObject('racing', `folder/b${round - 1}`),
      ]);
      reads.push(client.getObject('racing', `folder/b${round}`).then(async (stream) => Buffer.concat((await stream.toArray()) as Buffer[]).toString()));
      overwrites.push(client.putObject('racing', `folder/b${round}`, 'z'.repeat(100_000), 100_000));
    }
    for (const body of await Promise.all(reads)) expect(body).toMatch(/^(y{100000}|z{100000})$/);
    await Promise.all(overwrites);
  });
});
