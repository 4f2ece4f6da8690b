import type { Readable } from 'node:stream';
import type { ObjectStorage } from './object-storage.js';

/** Job logs in the output buckets of their requests. */
export class JobLogs {
  constructor(private readonly storage: ObjectStorage) {}

  /** Stores a log, creating the output bucket when it does not exist yet. */
  async store(bucket: string, objectName: string, log: string | Buffer): Promise<void> {
    await this.storage.ensureBucket(bucket);
    await this.storage.put(bucket, objectName, log, { contentType: 'text/plain; charset=utf-8' });
  }

  open(bucket: string, objectName: string): Promise<{ stream: Readable; size: number } | undefined> {
    return this.storage.open(bucket, objectName);
  }
}
