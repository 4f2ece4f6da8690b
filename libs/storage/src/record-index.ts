import type { JobRecord, JobStatus } from '@app/contracts';
import { createHash } from 'node:crypto';

// Layout of the job records in their bucket:
//   jobs/<id>.json                       the record
//   index/<status>/<marker>              one marker per record and status it has (had, until cleaned)
// marker = <sortKey>.<ownerTag>, or the bare sortKey for a record without owner (written before owners existed)
// sortKey = <inverted queuedAt millis, 13 digits>-<id>: keys sort newest first, and S3 lists in key order,
// so one status is listed by prefix, newest first, without reading any other record; every status at once is
// the six prefixes merged, where a marker met under two statuses counts under the later one (statuses only move
// forward). The owner tag lets a listing for one owner skip the others' markers by name, without reading their
// records or writing more markers. (Stores written before 0.7 also hold index/all/, which nothing reads now.)

const MAX_MILLIS = 9_999_999_999_999;

export function recordKey(id: string): string {
  return `jobs/${id}.json`;
}

export function sortKey(queuedAt: string, id: string): string {
  const inverted = MAX_MILLIS - Date.parse(queuedAt);
  return `${String(inverted).padStart(13, '0')}-${id}`;
}

/** 16 hex digits of the owner's SHA-256: a fixed-length, key-safe stand-in for any owner name. */
export function ownerTag(owner: string): string {
  return createHash('sha256').update(owner).digest('hex').slice(0, 16);
}

/** The name of a record's markers: its sort key, tagged with its owner when it has one. */
export function markerName(record: Pick<JobRecord, 'queuedAt' | 'id' | 'owner'>): string {
  const key = sortKey(record.queuedAt, record.id);
  return record.owner === undefined ? key : `${key}.${ownerTag(record.owner)}`;
}

/** The owner tag of a marker name; undefined for a marker without one. */
export function ownerTagOf(marker: string): string | undefined {
  const dot = marker.lastIndexOf('.');
  return dot === -1 ? undefined : marker.slice(dot + 1);
}

export function indexPrefix(index: JobStatus): string {
  return `index/${index}/`;
}

export function indexKey(index: JobStatus, key: string): string {
  return `${indexPrefix(index)}${key}`;
}

/** The record id a marker name (or marker key, or bare sort key) names. */
export function idOfMarker(key: string): string {
  const marker = key.slice(key.lastIndexOf('/') + 1);
  const tag = marker.indexOf('.');
  return marker.slice(marker.indexOf('-') + 1, tag === -1 ? undefined : tag);
}

/** Cursors are opaque to clients: the marker name of the last record of the previous page. */
export function encodeCursor(key: string): string {
  return Buffer.from(key).toString('base64url');
}

export function decodeCursor(cursor: string): string | undefined {
  const key = Buffer.from(cursor, 'base64url').toString();
  return /^\d{13}-[\w-]+(\.[0-9a-f]{16})?$/.test(key) ? key : undefined;
}
