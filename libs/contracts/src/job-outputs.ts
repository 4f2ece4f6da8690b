import { manifestObjectName } from './job-naming.js';
import type { JobRecord } from './job-record.js';

/** One object a Job wrote to its output bucket, as the store listed it when the Job ended. */
export interface JobOutput {
  /** The object name in the output bucket. */
  name: string;
  size: number;
  etag: string;
  /** ISO 8601, as the store says. */
  lastModified: string;
}

/** The output manifest object's body. */
export interface OutputManifest {
  id: string;
  jobName: string;
  outputBucket: string;
  prefix: string | null;
  outputs: JobOutput[];
}

/** The most outputs a record (and its manifest) lists: the record is read, listed and sent in every event. */
export const MAX_RECORDED_OUTPUTS = 1000;

/** Where this record's output manifest is (or will be) stored, beside its log. */
export function plannedManifestObject(record: Pick<JobRecord, 'jobName' | 'request'>): string {
  return manifestObjectName(record.jobName, record.request.prefix);
}

/**
 * The S3 listing prefix of a job's outputs: everything that starts with its prefix, as MSTC images name their
 * objects `<FILE_PREFIX>-<name>` (and some `<FILE_PREFIX>/<name>`). A request without a prefix has no outputs
 * recorded: its objects cannot be told from other jobs' in the same bucket (the worker does not list for it).
 */
export function outputListingPrefix(record: Pick<JobRecord, 'request'>): string | undefined {
  return record.request.prefix;
}

/** A log or manifest object of any job, this one's included (`…-<uuid>.log`, `…-<uuid>.manifest.json`): never an output. */
const JOB_OBJECT = /-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(log|manifest\.json)$/;

/**
 * The outputs of a job among the objects listed under its prefix, in name order: those written since it was
 * queued (an input uploaded before, in the same bucket, is older), under `<prefix>-` or `<prefix>/`, that are
 * not a job's log or manifest. Time is the S3 store's `LastModified` against the record's `queuedAt`, so the
 * store's and the api's clocks must agree (NTP); an input uploaded after submitting would count as an output. A
 * store that lists whole seconds (AWS S3, the test server; MinIO lists milliseconds) is compared in whole seconds:
 * an output is never lost, but an input uploaded in the second the job was queued counts as one.
 */
export function selectOutputs(record: Pick<JobRecord, 'request' | 'queuedAt'>, listed: readonly JobOutput[]): JobOutput[] {
  const prefix = record.request.prefix;
  const queuedAt = Date.parse(record.queuedAt);
  return listed
    .filter(({ name }) => prefix !== undefined && (name.startsWith(`${prefix}-`) || name.startsWith(`${prefix}/`)))
    .filter(({ name }) => !JOB_OBJECT.test(name))
    .filter(({ lastModified }) => {
      const modified = Date.parse(lastModified);
      return modified >= (modified % 1000 === 0 ? queuedAt - (queuedAt % 1000) : queuedAt);
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, MAX_RECORDED_OUTPUTS);
}
