import { ApiConfig } from '@app/config';
import { bucketNameProblem, isTerminal, objectKeyProblem, type FieldProblem, type JobOutput, type JobRecord } from '@app/contracts';
import { audit, ROOT_LOGGER, type Logger } from '@app/observability';
import { ObjectStorage, ObjectTooLargeError, type ObjectInfo } from '@app/storage';
import { ForbiddenException, Inject, Injectable, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { Caller } from '../auth/caller.js';
import { InvalidInputException } from '../invalid-input.js';
import { JobsService } from '../jobs/jobs.service.js';

/** The user metadata that names who uploaded an object (`x-amz-meta-cloud-worker-owner`). */
export const OWNER_METADATA = 'cloud-worker-owner';

export interface StoredFile {
  bucket: string;
  key: string;
  size: number;
  etag: string;
}

export type OpenedFile = { stream: Readable } & ObjectInfo;

export interface JobOutputs {
  outputBucket: string;
  manifestObject: string | null;
  outputs: Array<JobOutput & { url: string }>;
}

/**
 * Files in the S3 store, through the api: a client outside the cluster needs only the api's address and its token,
 * as the S3 store is usually not reachable from there (and presigned URLs would name the store's address inside
 * the cluster). Bodies are streamed both ways, never held: an upload goes to the store in parts as it arrives.
 * An uploaded object names its uploader in its metadata; only they (and admins) read or replace it.
 */
@Injectable()
export class FilesService {
  constructor(
    @Inject(ObjectStorage) private readonly storage: ObjectStorage,
    @Inject(JobsService) private readonly jobs: JobsService,
    @Inject(ApiConfig) private readonly config: ApiConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Streams `body` into the bucket (created when missing) as `key`, owned by the caller. `declaredBytes` is the
   * request's Content-Length, when it has one: a body declared too large is refused before it is read.
   */
  async upload(bucket: string, key: string, body: Readable, declaredBytes: number | undefined, contentType: string | undefined, caller: Caller): Promise<StoredFile> {
    this.check(bucket, key, caller);
    const object = `s3://${bucket}/${key}`;
    const limit = this.config.FILES_MAX_BYTES;
    if (declaredBytes !== undefined && declaredBytes > limit) throw this.tooLarge(object, limit, caller);
    const existing = await this.storage.stat(bucket, key);
    if (existing && !this.owns(caller, existing)) {
      audit(this.logger, { action: 'deny', owner: caller.owner, source: 'http', object, status: 403, reason: "another owner's object" });
      throw new ForbiddenException(`${object} exists and belongs to another owner; it cannot be replaced`);
    }
    await this.storage.ensureBucket(bucket);
    let stored: { etag: string; size: number };
    try {
      stored = await this.storage.putStream(bucket, key, body, {
        contentType: contentType ?? 'application/octet-stream',
        metadata: { [OWNER_METADATA]: ownerValue(caller.owner) },
        maxBytes: limit,
      });
    } catch (error) {
      if (error instanceof ObjectTooLargeError) throw this.tooLarge(object, limit, caller);
      throw error;
    }
    audit(this.logger, { action: 'upload', owner: caller.owner, source: 'http', object });
    return { bucket, key, size: stored.size, etag: stored.etag };
  }

  /** An object the caller uploaded, or any for an admin; anything else answers as a missing object does. */
  async download(bucket: string, key: string, caller: Caller): Promise<OpenedFile> {
    this.check(bucket, key, caller);
    const object = `s3://${bucket}/${key}`;
    const opened = await this.storage.open(bucket, key);
    if (opened && this.owns(caller, opened)) return opened;
    if (opened) {
      opened.stream.destroy();
      audit(this.logger, { action: 'deny', owner: caller.owner, source: 'http', object, status: 404, reason: "another owner's object" });
    }
    throw new NotFoundException(`No object ${object}`);
  }

  /** The outputs of a job the caller may see, once it has ended, each with its download link. */
  async outputs(id: string, caller: Caller): Promise<JobOutputs> {
    const record = await this.endedJob(id, caller);
    return {
      outputBucket: record.outputBucket,
      manifestObject: record.manifestObject ?? null,
      outputs: (record.outputs ?? []).map((output) => ({ ...output, url: `/jobs/${id}/outputs/${output.name.split('/').map(encodeURIComponent).join('/')}` })),
    };
  }

  /** One output the job's record lists; the record is the list of what may be read through it. */
  async openOutput(id: string, name: string, caller: Caller): Promise<OpenedFile> {
    const record = await this.endedJob(id, caller);
    const listed = (record.outputs ?? []).some((output) => output.name === name);
    const opened = listed ? await this.storage.open(record.outputBucket, name) : undefined;
    if (!opened) throw new NotFoundException(`Job ${id} has no output ${name}`);
    return opened;
  }

  private async endedJob(id: string, caller: Caller): Promise<JobRecord> {
    const record = await this.jobs.get(id, caller);
    if (!isTerminal(record.status)) throw new NotFoundException(`Job ${id} has not ended (status ${record.status}); its outputs are listed when it ends`);
    return record;
  }

  /** The bucket and key follow a request's rules for buckets and prefixes; the records bucket is never a file's. */
  private check(bucket: string, key: string, caller: Caller): void {
    const problems: FieldProblem[] = [];
    const bucketProblem = bucketNameProblem(bucket);
    if (bucketProblem) problems.push({ field: 'bucket', rule: 'bucketName', message: `bucket ${bucketProblem}` });
    else if (bucket === this.config.RECORDS_BUCKET) {
      problems.push({ field: 'bucket', rule: 'recordsBucket', message: `bucket must not be ${bucket}: it holds the job records (RECORDS_BUCKET)` });
    }
    const keyProblem = objectKeyProblem(key);
    if (keyProblem) problems.push({ field: 'key', rule: 'objectKey', message: `key ${keyProblem}` });
    if (problems.length === 0) return;
    audit(this.logger, { action: 'deny', owner: caller.owner, source: 'http', object: `s3://${bucket}/${key}`, status: 400, reason: problems.map((problem) => problem.rule).join(', ') });
    throw new InvalidInputException('file path', problems);
  }

  private owns(caller: Caller, object: Pick<ObjectInfo, 'metadata'>): boolean {
    return caller.roles.has('admin') || object.metadata[OWNER_METADATA] === ownerValue(caller.owner);
  }

  private tooLarge(object: string, limit: number, caller: Caller): PayloadTooLargeException {
    audit(this.logger, { action: 'deny', owner: caller.owner, source: 'http', object, status: 413, reason: 'FILES_MAX_BYTES' });
    return new PayloadTooLargeException(`The file is larger than the limit of ${limit} bytes (FILES_MAX_BYTES); nothing was stored`);
  }
}

/** Header values are ASCII: an owner (a JWT subject, say) that is not is kept percent-encoded. */
function ownerValue(owner: string): string {
  return encodeURIComponent(owner);
}
