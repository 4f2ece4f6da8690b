import { MAX_RECORDED_OUTPUTS, outputListingPrefix, plannedManifestObject, selectOutputs, type JobOutput, type JobRecord, type OutputManifest } from '@app/contracts';
import { ObjectStorage } from '@app/storage';
import { Inject, Injectable } from '@nestjs/common';

/** The keys one S3 listing answers at most: a Job with fewer objects under its prefix costs one list. */
const LIST_PAGE = 1000;

export interface StoredManifest {
  outputs: JobOutput[];
  /** Null when the Job wrote nothing: no manifest object is written for it. */
  manifestObject: string | null;
}

/**
 * The output manifest of an ended Job: what it wrote under its prefix in the output bucket (`selectOutputs`), as
 * `[<prefix>-]<job name>.manifest.json` beside the log. One S3 list (one more per thousand objects under the
 * prefix) and, when there are outputs, one put; idempotent, so a repeated step lists and writes the same again.
 */
@Injectable()
export class OutputManifests {
  constructor(@Inject(ObjectStorage) private readonly storage: ObjectStorage) {}

  async store(record: JobRecord): Promise<StoredManifest> {
    const outputs = await this.list(record);
    if (outputs.length === 0) return { outputs, manifestObject: null };
    const manifestObject = plannedManifestObject(record);
    const manifest: OutputManifest = { id: record.id, jobName: record.jobName, outputBucket: record.outputBucket, prefix: record.request.prefix ?? null, outputs };
    // The bucket exists: the log was stored in it just before (and ensureBucket remembers that, at no cost).
    await this.storage.ensureBucket(record.outputBucket);
    await this.storage.put(record.outputBucket, manifestObject, `${JSON.stringify(manifest, null, 2)}\n`, { contentType: 'application/json' });
    return { outputs, manifestObject };
  }

  private async list(record: JobRecord): Promise<JobOutput[]> {
    const prefix = outputListingPrefix(record);
    if (prefix === undefined) return [];
    let outputs: JobOutput[] = [];
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.storage.listObjects(record.outputBucket, prefix, { startAfter, maxKeys: LIST_PAGE });
      outputs = selectOutputs(record, [...outputs, ...page.objects]);
      // Listed in key order: once enough outputs are found, later pages cannot come before them.
      if (!page.truncated || page.objects.length === 0 || outputs.length >= MAX_RECORDED_OUTPUTS) return outputs;
      startAfter = page.objects.at(-1)!.name;
    }
  }
}
