import { manifestObjectName, MAX_JOB_NAME_LENGTH, uniqueJobName } from './job-naming.js';

/** S3's limit on an object name, in bytes of UTF-8. */
export const MAX_OBJECT_NAME_BYTES = 1024;
/** MinIO keeps each `/`-separated segment as a file or folder name, which file systems limit to 255 bytes. */
export const MAX_OBJECT_NAME_SEGMENT_BYTES = 255;

/**
 * Characters S3 documents as safe in object names, plus `/` for folders, less `*`: a prefix is also part of the
 * session policy of a Job's own credentials (JOB_S3_CREDENTIALS=sts), where `*` would be a wildcard.
 */
export const SAFE_OBJECT_NAME = /^[A-Za-z0-9!_.'()/-]+$/;
export const SAFE_OBJECT_NAME_RULE = "may only contain letters, digits and the characters ! _ . ' ( ) / -";

/**
 * The longest object name the system makes from a prefix: the output manifest (longer than the log) of the
 * request's `jobName` at its longest, and a UUID.
 */
export function longestObjectName(prefix: string): string {
  return manifestObjectName(uniqueJobName('j'.repeat(MAX_JOB_NAME_LENGTH), '00000000-0000-0000-0000-000000000000'), prefix);
}

/**
 * What is wrong with a request's `prefix`, or undefined. The prefix becomes part of object names (the log object,
 * and the Job's own names from FILE_PREFIX), so it must be a path of real segments: one that every S3 store
 * accepts and that names nothing outside its bucket (a `..` segment lets a store that keeps objects as files
 * climb out of the bucket's folder; a backslash is a separator on some).
 */
export function prefixProblem(prefix: string): string | undefined {
  return pathProblem(prefix, 'its last segment would be empty (object names are "<prefix>-<name>")') ?? objectNameLengthProblem(longestObjectName(prefix));
}

/**
 * What is wrong with the name of an object uploaded through the api, or undefined: the characters and segments
 * of a prefix (it names nothing outside its bucket on any store), within S3's and MinIO's lengths.
 */
export function objectKeyProblem(key: string): string | undefined {
  if (!SAFE_OBJECT_NAME.test(key)) return SAFE_OBJECT_NAME_RULE;
  const problem = pathProblem(key, 'it would name a folder');
  if (problem) return problem;
  const bytes = byteLength(key);
  if (bytes > MAX_OBJECT_NAME_BYTES) return `is ${bytes} bytes long, more than the ${MAX_OBJECT_NAME_BYTES} S3 allows`;
  if (key.split('/').some((segment) => byteLength(segment) > MAX_OBJECT_NAME_SEGMENT_BYTES)) {
    return `has a segment longer than the ${MAX_OBJECT_NAME_SEGMENT_BYTES} bytes S3 stores such as MinIO keep`;
  }
  return undefined;
}

function pathProblem(name: string, whyNoTrailingSlash: string): string | undefined {
  if (name.includes('\\')) return 'must not contain a backslash';
  if (name.startsWith('/')) return 'must not begin with "/"';
  if (name.endsWith('/')) return `must not end with "/": ${whyNoTrailingSlash}`;
  if (name.includes('//')) return 'must not contain "//" (an empty segment)';
  if (name.split('/').some((segment) => segment === '.' || segment === '..')) return 'must not have "." or ".." segments';
  return undefined;
}

function objectNameLengthProblem(name: string): string | undefined {
  const bytes = byteLength(name);
  if (bytes > MAX_OBJECT_NAME_BYTES) {
    return `is too long: the longest object name made from it, the manifest "<prefix>-<jobName>-<id>.manifest.json", would be ${bytes} bytes, more than the ${MAX_OBJECT_NAME_BYTES} S3 allows`;
  }
  const longest = Math.max(...name.split('/').map(byteLength));
  if (longest > MAX_OBJECT_NAME_SEGMENT_BYTES) {
    return `has a segment too long: the manifest "<prefix>-<jobName>-<id>.manifest.json" would have a segment of ${longest} bytes, more than the ${MAX_OBJECT_NAME_SEGMENT_BYTES} S3 stores such as MinIO keep`;
  }
  return undefined;
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}
