import type { Readable } from 'node:stream';
import type { ObjectStorage } from './object-storage.js';

const LOG_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** Job logs in the output buckets of their requests. */
export class JobLogs {
  constructor(private readonly storage: ObjectStorage) {}

  /** Stores a log streamed from its source, creating the output bucket when it does not exist yet. */
  async storeStream(bucket: string, objectName: string, body: Readable): Promise<{ size: number }> {
    await this.storage.ensureBucket(bucket);
    const { size } = await this.storage.putStream(bucket, objectName, body, { contentType: LOG_CONTENT_TYPE });
    return { size };
  }

  exists(bucket: string, objectName: string): Promise<boolean> {
    return this.storage.exists(bucket, objectName);
  }

  open(bucket: string, objectName: string): Promise<{ stream: Readable; size: number } | undefined> {
    return this.storage.open(bucket, objectName);
  }
}
