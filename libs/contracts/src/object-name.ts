import { manifestObjectName, MAX_JOB_NAME_LENGTH, uniqueJobName } from './job-naming.js';

/** S3's limit on an object name, in bytes of UTF-8. */
export const MAX_OBJECT_NAME_BYTES = 1024;
/** MinIO keeps each `/`-separated segment as a file or folder name, which file systems limit to 255 bytes. */
export const MAX_OBJECT_NAME_SEGMENT_BYTES = 255;

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
  if (prefix.includes('\\')) return 'must not contain a backslash';
  if (prefix.startsWith('/')) return 'must not begin with "/"';
  if (prefix.endsWith('/')) return 'must not end with "/": its last segment would be empty (object names are "<prefix>-<name>")';
  if (prefix.includes('//')) return 'must not contain "//" (an empty segment)';
  if (prefix.split('/').some((segment) => segment === '.' || segment === '..')) return 'must not have "." or ".." segments';
  return objectNameLengthProblem(longestObjectName(prefix));
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
