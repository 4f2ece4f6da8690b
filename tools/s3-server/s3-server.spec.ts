import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from 'minio';
import { AssumeRoleProvider } from 'minio/dist/esm/AssumeRoleProvider.mjs';
import { readdir } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3Server, type S3Server } from './s3-server.js';
import { eventually } from '../../test/support/system.js';
import { jobsPolicy } from '../local-stack/s3-secret.js';

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
    // Presigned, so that plain requests may carry them: a PUT whose body is still coming holds the key.
    const putUrl = new URL(await client.presignedPutObject('conditional', 'abandoned'));
    const putPath = putUrl.pathname;
    const slow = request({ host: s3.host, port: s3.port, method: 'PUT', path: putUrl.pathname + putUrl.search, headers: { 'content-length': '2' } });
    slow.on('error', () => undefined);
    slow.on('response', (response) => response.resume());
    slow.write('a');
    await eventually(() => s3.requests.some((r) => r.startsWith(`PUT ${putPath}?`)), 2000, 'the PUT to arrive');
    // A GET queued behind it whose client gives up, as a killed app's would.
    const getUrl = new URL(await client.presignedGetObject('conditional', 'abandoned'));
    const queued = get({ host: s3.host, port: s3.port, path: getUrl.pathname + getUrl.search });
    queued.on('error', () => undefined);
    await eventually(() => s3.requests.filter((r) => r.startsWith(`GET ${putPath}?`)).length === 1, 2000, 'the GET to arrive');
    queued.destroy();
    slow.end('b');
    // The next request for the key is served.
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

  describe('users and policies', () => {
    let jobs: Client;
    const as = (accessKey: string, secretKey: string, sessionToken?: string) =>
      new Client({ endPoint: s3.host, port: s3.port, useSSL: false, accessKey, secretKey, sessionToken, region: 'us-east-1' });
    beforeAll(async () => {
      await client.makeBucket('records');
      await client.makeBucket('work');
      await client.putObject('records', 'jobs/1.json', '{}');
      s3.addUser({ accessKey: 'jobs', secretKey: 'jobs-secret', policy: jobsPolicy('records') });
      jobs = as('jobs', 'jobs-secret');
    });

    it("lets a user do what its policy allows, and answers the rest 403 AccessDenied (the chart's Jobs policy)", async () => {
      await jobs.putObject('work', 'out.txt', 'done');
      expect(Buffer.concat((await (await jobs.getObject('work', 'out.txt')).toArray()) as Buffer[]).toString()).toBe('done');
      await expect(jobs.putObject('records', 'jobs/1.json', '{"status":"forged"}')).rejects.toMatchObject({ code: 'AccessDenied' });
      await expect(jobs.getObject('records', 'jobs/1.json')).rejects.toMatchObject({ code: 'AccessDenied' });
      await expect(jobs.removeObject('records', 'jobs/1.json')).rejects.toMatchObject({ code: 'AccessDenied' });
      const raw = await fetch(await jobs.presignedUrl('PUT', 'records', 'jobs/2.json'), { method: 'PUT', body: 'x' });
      expect(raw.status).toBe(403);
      expect(await raw.text()).toContain('<Code>AccessDenied</Code>');
      expect(Buffer.concat((await (await client.getObject('records', 'jobs/1.json')).toArray()) as Buffer[]).toString()).toBe('{}');
    });

    it('refuses a copy whose source the user may not read', async () => {
      const { CopyDestinationOptions, CopySourceOptions } = await import('minio');
      await expect(
        jobs.copyObject(new CopySourceOptions({ Bucket: 'records', Object: 'jobs/1.json' }), new CopyDestinationOptions({ Bucket: 'work', Object: 'stolen.json' })),
      ).rejects.toMatchObject({ code: 'AccessDenied' });
    });

    it('checks V4 signatures: a known access key with a wrong secret key is refused', async () => {
      await expect(as('jobs', 'guessed').putObject('work', 'x', 'y')).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
      await expect(as(s3.accessKey, 'guessed').putObject('records', 'x', 'y')).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    });

    it('refuses anonymous requests', async () => {
      expect((await fetch(`${s3.endpoint}/work/out.txt`)).status).toBe(403);
      expect((await fetch(`${s3.endpoint}/work/anonymous`, { method: 'PUT', body: 'x' })).status).toBe(403);
    });

    it('hands out temporary credentials (STS AssumeRole) limited by the user policy and the session policy together', async () => {
      const sessionPolicy = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:PutObject', 's3:GetBucketLocation'], Resource: ['arn:aws:s3:::work', 'arn:aws:s3:::work/run-1*', 'arn:aws:s3:::records/*'] }],
      };
      const provider = new AssumeRoleProvider({ stsEndpoint: s3.endpoint, accessKey: 'jobs', secretKey: 'jobs-secret', durationSeconds: 900, policy: JSON.stringify(sessionPolicy) });
      const credentials = await provider.getCredentials();
      expect(credentials.sessionToken).toBeTruthy();
      const session = as(credentials.accessKey, credentials.secretKey, credentials.sessionToken);
      await session.putObject('work', 'run-1-result.json', 'ok');
      await expect(session.putObject('work', 'run-2-result.json', 'no')).rejects.toMatchObject({ code: 'AccessDenied' });
      // Allowed by the session policy, denied by the user's.
      await expect(session.putObject('records', 'jobs/3.json', 'no')).rejects.toMatchObject({ code: 'AccessDenied' });
      await expect(session.getObject('work', 'out.txt')).rejects.toMatchObject({ code: 'AccessDenied' });
      // The keys without their session token are refused.
      await expect(as(credentials.accessKey, credentials.secretKey).putObject('work', 'run-1-x', 'no')).rejects.toMatchObject({ code: 'InvalidToken' });
    });

    it('refuses AssumeRole with a wrong key, a bad duration or a policy it cannot enforce', async () => {
      const assume = (options: Partial<ConstructorParameters<typeof AssumeRoleProvider>[0]>) =>
        new AssumeRoleProvider({ stsEndpoint: s3.endpoint, accessKey: 'jobs', secretKey: 'jobs-secret', ...options }).getCredentials();
      await expect(assume({ secretKey: 'guessed' })).rejects.toThrow('SignatureDoesNotMatch');
      await expect(assume({ durationSeconds: 400 * 24 * 3600 })).rejects.toThrow(/InvalidParameterValue DurationSeconds must be an integer from 900 to 31536000/);
      await expect(assume({ policy: JSON.stringify({ Statement: [{ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }] }) })).rejects.toThrow(
        'MalformedPolicyDocument unsupported policy: statement 0 uses NotAction',
      );
    });
  });

  it('refuses object names with . or .. segments (400 XMinioInvalidObjectName), and writes nothing outside its folder', async () => {
    const directory = await mkdtemp(join(tmpdir(), 's3-climb-'));
    const contained = await startS3Server({ directory: join(directory, 'data') });
    try {
      const own = new Client({ endPoint: contained.host, port: contained.port, useSSL: false, accessKey: contained.accessKey, secretKey: contained.secretKey });
      await own.makeBucket('climb');
      for (const name of ['../../../escaped', 'a/../../../escaped', './a', 'a/./b', 'a/..', '..\\..\\escaped']) {
        const url = await own.presignedPutObject('climb', name);
        // Sent as signed: fetch and URL would resolve the `..` segments before the server saw them.
        const response = await rawRequest(contained, 'PUT', url.slice(url.indexOf('/climb/')));
        expect({ name, status: response.status }).toEqual({ name, status: 400 });
        expect(response.body).toContain('<Code>XMinioInvalidObjectName</Code>');
      }
      expect((await rawRequest(contained, 'PUT', '/%2E%2E/escaped')).status).toBe(400);
      expect(await readdir(directory)).toEqual(['data']);
      // Dots inside a segment are a name like any other.
      await own.putObject('climb', 'a/..b/c..', 'fine');
    } finally {
      await contained.stop();
      await rm(directory, { recursive: true, force: true });
    }
  });
});

/** A request sent with its path exactly as given. */
async function rawRequest(server: S3Server, method: string, path: string): Promise<{ status: number; body: string }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const sent = request({ host: server.host, port: server.port, method, path, headers: { 'content-length': '1' } }, async (response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of response) chunks.push(chunk as Buffer);
      resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
    });
    sent.on('error', reject);
    sent.end('x');
  });
}
