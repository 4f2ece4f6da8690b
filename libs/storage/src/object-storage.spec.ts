import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { startS3Server, type S3Server } from '../../../tools/s3-server/s3-server.js';
import { ObjectStorage, ObjectTooLargeError } from './object-storage.js';

const MiB = 1024 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** `data` as a stream of 64 KiB chunks, as an HTTP request body comes. */
function chunked(data: Buffer): Readable {
  return Readable.from((function* () {
    for (let offset = 0; offset < data.length; offset += 64 * 1024) yield data.subarray(offset, offset + 64 * 1024);
  })());
}

describe('ObjectStorage streams', () => {
  let s3: S3Server;
  let storage: ObjectStorage;
  const bucket = 'streams';

  beforeAll(async () => {
    s3 = await startS3Server();
    storage = new ObjectStorage({ endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey, region: 'us-east-1', partSizeBytes: 5 * MiB });
    await storage.ensureBucket(bucket);
  });
  afterAll(() => s3.stop());

  const requestsDuring = async <T>(action: () => Promise<T>): Promise<{ result: T; requests: string[] }> => {
    const before = s3.requests.length;
    const result = await action();
    return { result, requests: s3.requests.slice(before).map((request) => request.replace(/uploadId=[^&]+/, 'uploadId=…')) };
  };

  it('stores what fits in one part with one PUT, with its content type and metadata', async () => {
    const { result, requests } = await requestsDuring(() =>
      storage.putStream(bucket, 'small.txt', chunked(Buffer.from('hello\n')), { contentType: 'text/plain', metadata: { 'cloud-worker-owner': 'alice' } }),
    );
    expect(result.size).toBe(6);
    expect(requests).toEqual([`PUT /${bucket}/small.txt`]);
    expect(await storage.stat(bucket, 'small.txt')).toEqual({ size: 6, etag: result.etag, contentType: 'text/plain', metadata: { 'cloud-worker-owner': 'alice' } });
    const opened = await storage.open(bucket, 'small.txt');
    expect(opened).toMatchObject({ size: 6, etag: result.etag, contentType: 'text/plain', metadata: { 'cloud-worker-owner': 'alice' } });
    expect(Buffer.concat(await opened!.stream.toArray()).toString()).toBe('hello\n');
  });

  it('stores a longer stream in parts, byte for byte, with its metadata', async () => {
    const data = randomBytes(12 * MiB + 17);
    const { result, requests } = await requestsDuring(() => storage.putStream(bucket, 'large.bin', chunked(data), { metadata: { 'cloud-worker-owner': 'bob' } }));
    expect(result.size).toBe(data.length);
    expect(requests).toEqual([
      `POST /${bucket}/large.bin?uploads`,
      `PUT /${bucket}/large.bin?uploadId=…&partNumber=1`,
      `PUT /${bucket}/large.bin?uploadId=…&partNumber=2`,
      `PUT /${bucket}/large.bin?uploadId=…&partNumber=3`,
      `POST /${bucket}/large.bin?uploadId=…`,
    ]);
    const opened = await storage.open(bucket, 'large.bin');
    expect(opened?.metadata).toEqual({ 'cloud-worker-owner': 'bob' });
    expect(sha256(Buffer.concat(await opened!.stream.toArray()))).toBe(sha256(data));
  });

  it('refuses a stream past maxBytes and leaves nothing behind, in one part or in several', async () => {
    await expect(storage.putStream(bucket, 'over-small.bin', chunked(randomBytes(1000)), { maxBytes: 999 })).rejects.toBeInstanceOf(ObjectTooLargeError);
    expect(await storage.exists(bucket, 'over-small.bin')).toBe(false);
    const { requests } = await requestsDuring(() => storage.putStream(bucket, 'over-large.bin', chunked(randomBytes(11 * MiB)), { maxBytes: 10 * MiB }).catch((error: unknown) => error));
    expect(requests.at(-1)).toBe(`DELETE /${bucket}/over-large.bin?uploadId=…`);
    expect(await storage.exists(bucket, 'over-large.bin')).toBe(false);
  });

  it('stores nothing from a source that fails', async () => {
    const failing = Readable.from((async function* () {
      yield randomBytes(11 * MiB);
      throw new Error('the client went away');
    })());
    await expect(storage.putStream(bucket, 'broken.bin', failing)).rejects.toThrow('the client went away');
    expect(await storage.exists(bucket, 'broken.bin')).toBe(false);
  });

  it('lists objects with their size, ETag and time', async () => {
    const { objects } = await storage.listObjects(bucket, 'small', { maxKeys: 10 });
    expect(objects).toEqual([{ name: 'small.txt', size: 6, etag: expect.stringMatching(/^[0-9a-f]{32}$/), lastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);
  });
});
