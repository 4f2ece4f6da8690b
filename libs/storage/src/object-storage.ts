import type { JobOutput } from '@app/contracts';
import { Client, InvalidBucketNameError, InvalidObjectNameError, S3Error } from 'minio';
import { Readable } from 'node:stream';

export interface ObjectStorageOptions {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  /**
   * A streamed object up to this size goes in one PUT; a larger one in a multipart upload of parts this size,
   * which is about all of it that is held in memory at once. S3 requires 5 MiB at least. Default 8 MiB.
   */
  partSizeBytes?: number;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

export interface PutOptions {
  contentType?: string;
  /** Write only if the object still has this ETag (optimistic concurrency). */
  ifMatch?: string;
  /** Write only if the object does not exist yet. */
  ifNoneMatch?: '*';
  /** User metadata, stored as `x-amz-meta-<name>` headers. */
  metadata?: Record<string, string>;
}

/** An object's headers, as a read or a HEAD answers them. */
export interface ObjectInfo {
  size: number;
  etag: string;
  contentType: string;
  /** User metadata by name without `x-amz-meta-`, lowercase. */
  metadata: Record<string, string>;
}

export interface StoredObject {
  body: Buffer;
  etag: string;
}

/** A stream to store passed the size allowed for it; nothing was stored. */
export class ObjectTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The object is larger than the limit of ${maxBytes} bytes`);
    this.name = 'ObjectTooLargeError';
  }
}

/** A conditional write lost: the object changed (or appeared) since it was read. */
export class PreconditionFailedError extends Error {
  constructor(bucket: string, key: string) {
    super(`s3://${bucket}/${key} changed concurrently`);
    this.name = 'PreconditionFailedError';
  }
}

/** Host, port and scheme of an S3 endpoint URL, the port defaulting to the scheme's. */
export function s3Address(endpoint: string): { host: string; port: number; useSSL: boolean } {
  const url = new URL(endpoint);
  const useSSL = url.protocol === 'https:';
  return { host: url.hostname, port: url.port ? Number(url.port) : useSSL ? 443 : 80, useSSL };
}

/** The S3 store (MinIO in a cluster) as the rest of the system uses it; every S3 request goes through here. */
export class ObjectStorage {
  private readonly client: Client;
  private readonly knownBuckets = new Set<string>();
  private readonly region: string;
  private readonly partSize: number;

  constructor(options: ObjectStorageOptions) {
    const { host, port, useSSL } = s3Address(options.endpoint);
    this.client = new Client({
      endPoint: host,
      port,
      useSSL,
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      region: options.region,
      pathStyle: true,
      partSize: options.partSizeBytes ?? DEFAULT_PART_SIZE,
    });
    this.region = options.region;
    this.partSize = options.partSizeBytes ?? DEFAULT_PART_SIZE;
  }

  /** Creates the bucket unless it exists; remembered per process, so it costs one request per bucket. */
  async ensureBucket(bucket: string): Promise<void> {
    if (this.knownBuckets.has(bucket)) return;
    if (!(await this.client.bucketExists(bucket))) {
      await this.client.makeBucket(bucket, this.region).catch((error: unknown) => {
        // Another process created it between the check and here.
        if (!(error instanceof S3Error && ['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(String(error.code)))) throw error;
      });
    }
    this.knownBuckets.add(bucket);
  }

  async put(bucket: string, key: string, body: Buffer | string, options: PutOptions = {}): Promise<string> {
    const content = typeof body === 'string' ? Buffer.from(body) : body;
    const headers = contentHeaders(options);
    if (options.ifMatch) headers['If-Match'] = `"${options.ifMatch}"`;
    if (options.ifNoneMatch) headers['If-None-Match'] = options.ifNoneMatch;
    try {
      const { etag } = await this.client.putObject(bucket, key, content, content.length, headers);
      return etag;
    } catch (error) {
      if (isPreconditionFailure(error, options)) throw new PreconditionFailedError(bucket, key);
      throw error;
    }
  }

  /**
   * Stores a stream of unknown length without holding it in memory: what fits in one part goes in one PUT (the
   * usual log: no extra requests); anything longer in a multipart upload of parts of `partSizeBytes`, at most two
   * of them in memory at once. The upload is completed only when the stream has ended well, and aborted (its parts
   * removed) when the stream fails, the store refuses a part or the stream passes `maxBytes`
   * (`ObjectTooLargeError`): nothing is left behind. Hand-written on the client's multipart calls because the
   * client's own `putObject` can be neither bounded nor aborted, and never settles when its source fails.
   */
  async putStream(bucket: string, key: string, body: Readable, options: Pick<PutOptions, 'contentType' | 'metadata'> & { maxBytes?: number } = {}): Promise<{ etag: string; size: number }> {
    const parts = partsOf(body, this.partSize, options.maxBytes ?? Infinity);
    try {
      const first = await parts.next();
      const second = first.done ? first : await parts.next();
      if (second.done) {
        const content = first.done ? Buffer.alloc(0) : first.value;
        return { etag: await this.put(bucket, key, content, options), size: content.length };
      }
      return await this.putParts(bucket, key, [first.value as Buffer, second.value], parts, options);
    } finally {
      await parts.return(undefined);
    }
  }

  private async putParts(bucket: string, key: string, head: Buffer[], rest: AsyncGenerator<Buffer>, options: Pick<PutOptions, 'contentType' | 'metadata'>) {
    const uploadId = await this.client.initiateNewMultipartUpload(bucket, key, contentHeaders(options));
    try {
      const etags: Array<{ part: number; etag: string }> = [];
      let size = 0;
      const upload = async (part: Buffer) => {
        const partNumber = etags.length + 1;
        const { etag } = await this.client.uploadPart({ bucketName: bucket, objectName: key, uploadID: uploadId, partNumber, headers: { 'Content-Length': String(part.length) } }, part);
        etags.push({ part: partNumber, etag });
        size += part.length;
      };
      for (const part of head) await upload(part);
      for await (const part of rest) await upload(part);
      const { etag } = await this.client.completeMultipartUpload(bucket, key, uploadId, etags);
      return { etag, size };
    } catch (error) {
      await this.client.abortMultipartUpload(bucket, key, uploadId).catch(() => undefined);
      throw error;
    }
  }

  /** Whether the object exists. */
  async exists(bucket: string, key: string): Promise<boolean> {
    try {
      await this.client.statObject(bucket, key);
      return true;
    } catch (error) {
      if (error instanceof S3Error && (error.code === 'NotFound' || error.code === 'NoSuchKey')) return false;
      throw error;
    }
  }

  async get(bucket: string, key: string): Promise<StoredObject | undefined> {
    const stream = await this.openIfExists(bucket, key);
    if (!stream) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { body: Buffer.concat(chunks), etag: unquote(String(stream.headers?.etag ?? '')) };
  }

  /** The object as a stream with its size and headers, or undefined when it does not exist. */
  async open(bucket: string, key: string): Promise<({ stream: Readable } & ObjectInfo) | undefined> {
    const stream = await this.openIfExists(bucket, key);
    if (!stream) return undefined;
    return { stream, ...infoOf(stream.headers ?? {}) };
  }

  /** The object's size and headers (a HEAD), or undefined when it does not exist. */
  async stat(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    try {
      const { size, etag, metaData } = await this.client.statObject(bucket, key);
      const { 'content-type': contentType, ...metadata } = metaData as Record<string, string>;
      return { size, etag, contentType: contentType ?? 'application/octet-stream', metadata };
    } catch (error) {
      if (error instanceof S3Error && (error.code === 'NotFound' || error.code === 'NoSuchKey')) return undefined;
      throw error;
    }
  }

  /** One page of keys under a prefix, in key order, after `startAfter`. */
  async listKeys(bucket: string, prefix: string, options: { startAfter?: string; maxKeys: number }): Promise<{ keys: string[]; truncated: boolean }> {
    const { objects, truncated } = await this.listObjects(bucket, prefix, options);
    return { keys: objects.map(({ name }) => name), truncated };
  }

  /** One page of objects under a prefix (name, size, ETag, last modified), in key order, after `startAfter`. */
  async listObjects(bucket: string, prefix: string, options: { startAfter?: string; maxKeys: number }): Promise<{ objects: JobOutput[]; truncated: boolean }> {
    // ListObjects (v1) with a marker: v2's continuation tokens are not needed for "start after", and the
    // local S3 server cannot make them on OpenSSL 3.
    const page = await this.client.listObjectsQuery(bucket, prefix, options.startAfter ?? '', { MaxKeys: options.maxKeys, Delimiter: '' });
    const objects = page.objects.flatMap((item) =>
      item.name ? [{ name: item.name, size: Number(item.size ?? 0), etag: unquote(String(item.etag ?? '')), lastModified: new Date(item.lastModified ?? 0).toISOString() }] : [],
    );
    return { objects, truncated: Boolean(page.isTruncated) };
  }

  async remove(bucket: string, key: string): Promise<void> {
    await this.client.removeObject(bucket, key);
  }

  /** Removes many objects with S3's multi-object delete: one request per 1,000 keys. */
  async removeMany(bucket: string, keys: readonly string[]): Promise<void> {
    const results = await this.client.removeObjects(bucket, [...keys]);
    const failed = results.find((result) => result?.Error);
    if (failed?.Error) throw new Error(`could not remove ${failed.Error.Key}: ${failed.Error.Code} ${failed.Error.Message ?? ''}`.trim());
  }

  /** Cheap reachability check for readiness probes. */
  async ping(bucket: string): Promise<void> {
    await this.client.bucketExists(bucket);
  }

  private async openIfExists(bucket: string, key: string): Promise<(Readable & { headers?: Record<string, unknown> }) | undefined> {
    try {
      return (await this.client.getObject(bucket, key)) as Readable & { headers?: Record<string, unknown> };
    } catch (error) {
      if (error instanceof S3Error && (error.code === 'NoSuchKey' || error.code === 'NotFound')) return undefined;
      throw error;
    }
  }
}

function isPreconditionFailure(error: unknown, options: PutOptions): boolean {
  if (!(error instanceof S3Error)) return false;
  // S3 answers If-Match on a missing object with NoSuchKey: for a compare-and-swap that is a lost race too.
  return error.code === 'PreconditionFailed' || (Boolean(options.ifMatch) && error.code === 'NoSuchKey');
}

/** The stream in parts of `partSize` bytes (the last one shorter), failing once it passes `maxBytes`. */
async function* partsOf(body: Readable, partSize: number, maxBytes: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let total = 0;
  // Iterated by hand: a `for await` that stops early would destroy the source, which is its owner's to end (an
  // HTTP request must stay open for the answer).
  const chunks = body[Symbol.asyncIterator]();
  for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
    const bytes = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as string);
    total += bytes.length;
    if (total > maxBytes) throw new ObjectTooLargeError(maxBytes);
    pending.push(bytes);
    pendingBytes += bytes.length;
    while (pendingBytes >= partSize) {
      const joined = Buffer.concat(pending);
      yield joined.subarray(0, partSize);
      pending = [joined.subarray(partSize)];
      pendingBytes -= partSize;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}

function contentHeaders(options: Pick<PutOptions, 'contentType' | 'metadata'>): Record<string, string> {
  const headers: Record<string, string> = { 'Content-Type': options.contentType ?? 'application/octet-stream' };
  for (const [name, value] of Object.entries(options.metadata ?? {})) headers[`x-amz-meta-${name}`] = value;
  return headers;
}

function infoOf(headers: Record<string, unknown>): ObjectInfo {
  const metadata = Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) => (name.toLowerCase().startsWith('x-amz-meta-') ? [[name.toLowerCase().slice('x-amz-meta-'.length), String(value)]] : [])),
  );
  return {
    size: Number(headers['content-length'] ?? 0),
    etag: unquote(String(headers.etag ?? '')),
    contentType: String(headers['content-type'] ?? 'application/octet-stream'),
    metadata,
  };
}

function unquote(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

/**
 * S3 answers that repeating the request will not change: access denied, names the store rejects, objects too
 * large. Everything else (5xx, SlowDown, a connection that failed) may pass. The minio client's own checks of
 * bucket and object names throw before any request and are as final.
 */
const PERMANENT_S3_CODES = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidBucketName',
  'InvalidObjectName',
  'KeyTooLongError',
  'EntityTooLarge',
  'InvalidArgument',
  'MethodNotAllowed',
  'XMinioInvalidObjectName',
]);

export function isPermanentStorageError(error: unknown): boolean {
  if (error instanceof S3Error) return PERMANENT_S3_CODES.has(String(error.code));
  return error instanceof InvalidBucketNameError || error instanceof InvalidObjectNameError;
}
