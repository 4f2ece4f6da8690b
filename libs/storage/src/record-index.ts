import type { JobStatus } from '@app/contracts';

// Layout of the job records in their bucket:
//   jobs/<id>.json                       the record
//   index/all/<sortKey>                  one marker per record, removed only with the record
//   index/<status>/<sortKey>             one marker per record and status it has (had, until cleaned)
// sortKey = <inverted queuedAt millis, 13 digits>-<id>: keys sort newest first, and S3 lists in key order,
// so one status is listed by prefix, newest first, without reading any other record.

const MAX_MILLIS = 9_999_999_999_999;
export const ALL_INDEX = 'all';

export function recordKey(id: string): string {
  return `jobs/${id}.json`;
}

export function sortKey(queuedAt: string, id: string): string {
  const inverted = MAX_MILLIS - Date.parse(queuedAt);
  return `${String(inverted).padStart(13, '0')}-${id}`;
}

export function indexPrefix(index: JobStatus | typeof ALL_INDEX): string {
  return `index/${index}/`;
}

export function indexKey(index: JobStatus | typeof ALL_INDEX, key: string): string {
  return `${indexPrefix(index)}${key}`;
}

/** The record id a sort key (or marker key) names. */
export function idOfSortKey(key: string): string {
  const sort = key.slice(key.lastIndexOf('/') + 1);
  return sort.slice(sort.indexOf('-') + 1);
}

/** Cursors are opaque to clients: the sort key of the last record of the previous page. */
export function encodeCursor(key: string): string {
  return Buffer.from(key).toString('base64url');
}

export function decodeCursor(cursor: string): string | undefined {
  const key = Buffer.from(cursor, 'base64url').toString();
  return /^\d{13}-[\w-]+$/.test(key) ? key : undefined;
}
