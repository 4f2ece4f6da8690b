import { applyStatusChange, isLaterStatus, isTerminal, JOB_STATUSES, type JobRecord, type JobStatus, type StatusChange, type TransitionResult } from '@app/contracts';
import { PreconditionFailedError, type ObjectStorage } from './object-storage.js';
import { decodeCursor, encodeCursor, idOfMarker, indexKey, indexPrefix, markerName, ownerTag, ownerTagOf, recordKey } from './record-index.js';

export class RecordNotFoundError extends Error {
  constructor(id: string) {
    super(`no job with id ${id}`);
    this.name = 'RecordNotFoundError';
  }
}

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this api handed out');
    this.name = 'InvalidCursorError';
  }
}

export interface RecordPage {
  records: JobRecord[];
  /** Present when more records follow. */
  nextCursor?: string;
}

/** Compare-and-swap rounds before giving up; each lost round means another writer made progress. */
const MAX_UPDATE_ATTEMPTS = 20;
/** Markers listed at once where their names alone decide (one owner's listing, counts): names are cheap to list. */
const OWNER_SCAN_KEYS = 1000;
/** Records whose last seen version is kept; a worker changes about as many at once as it runs Jobs. */
const KNOWN_VERSIONS_LIMIT = 2000;
/** How long markers left behind by a status change wait to be removed together: one request for many Jobs. */
const STALE_MARKERS_WAIT_MS = 1000;
/** Keys S3 removes in one multi-object delete. */
const STALE_MARKERS_PER_REQUEST = 1000;

interface VersionedRecord {
  record: JobRecord;
  etag: string;
}

/**
 * Job records in the S3 store, safe under concurrent writers (api replicas, several workers): every write is a
 * conditional PUT against the ETag that was read, and the per-status index is kept so that a record can always
 * be found under its current status (the new marker is written before the record changes; old ones are removed
 * after, a second or so later and many at once, and readers skip any that are out of date).
 */
export class JobRecordStore {
  /**
   * The version of each record not yet ended that this process last wrote or read. An update tries its
   * compare-and-swap against it first, which saves reading the record again; when another writer has changed the
   * record meanwhile, that write fails its condition and the update reads the record as it would have anyway.
   */
  private readonly knownVersions = new Map<string, VersionedRecord>();
  /** Keys of markers no longer current, removed together (`removeStaleMarkers`). */
  private readonly staleMarkers = new Set<string>();
  private staleMarkersTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly storage: ObjectStorage,
    private readonly bucket: string,
  ) {}

  async init(): Promise<void> {
    await this.storage.ensureBucket(this.bucket);
  }

  /** Writes a new record; when one with this id exists already, returns it unchanged instead. */
  async create(record: JobRecord): Promise<{ created: boolean; record: JobRecord }> {
    const key = markerName(record);
    await this.writeMarker(record.status, key);
    try {
      const etag = await this.storage.put(this.bucket, recordKey(record.id), JSON.stringify(record), { contentType: 'application/json', ifNoneMatch: '*' });
      this.remember({ record, etag });
      return { created: true, record };
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
      const existing = await this.get(record.id);
      if (!existing) throw error;
      // A repeated submission carries a later queuedAt, so the markers just written name the record a second time.
      if (markerName(existing) !== key) this.forgetMarker(record.status, key);
      return { created: false, record: existing };
    }
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return (await this.read(id))?.record;
  }

  /** Removes a record that was never announced (its publish failed), with its markers. */
  async remove(record: JobRecord): Promise<void> {
    const key = markerName(record);
    this.knownVersions.delete(record.id);
    await this.storage.remove(this.bucket, recordKey(record.id));
    // At once, not batched: a listing cannot tell the marker of a removed record from one whose record is still
    // being written, so one left behind (the process stopping before the batch) would be read by every listing.
    await this.storage.remove(this.bucket, indexKey(record.status, key));
  }

  /** Applies a status change with the rules of `applyStatusChange`, retrying when another writer got there first. */
  async update(id: string, change: StatusChange): Promise<TransitionResult> {
    let known = this.knownVersions.get(id);
    /** A marker written for a write that then lost its condition. */
    let lostMarker: JobStatus | undefined;
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = known ?? (await this.read(id));
      if (!current) throw new RecordNotFoundError(id);
      const result = applyStatusChange(current.record, change);
      const key = markerName(current.record);
      if (result.record === current.record) {
        // Only a record just read may decide that nothing is to be written; a known version may be behind.
        if (known) {
          known = undefined;
          continue;
        }
        this.forgetLostMarker(lostMarker, result.record, key);
        return result;
      }
      known = undefined;
      const statusChanged = result.record.status !== current.record.status;
      if (statusChanged) await this.writeMarker(result.record.status, key);
      let etag: string;
      try {
        etag = await this.storage.put(this.bucket, recordKey(id), JSON.stringify(result.record), { contentType: 'application/json', ifMatch: current.etag });
      } catch (error) {
        if (!(error instanceof PreconditionFailedError)) throw error;
        if (statusChanged) lostMarker = result.record.status;
        continue;
      }
      this.remember({ record: result.record, etag });
      if (statusChanged) this.forgetMarker(current.record.status, key);
      this.forgetLostMarker(lostMarker, result.record, key);
      return result;
    }
    throw new Error(`job record ${id}: gave up after ${MAX_UPDATE_ATTEMPTS} concurrent updates`);
  }

  /**
   * Records with one of the statuses (or all), newest first; with `owner`, only that owner's. Lists only the index
   * prefixes of those statuses and reads only the records of the page: an owner's markers are told by their tag.
   */
  async list(statuses: readonly JobStatus[] | 'all', limit: number, cursor?: string, owner?: string): Promise<RecordPage> {
    let after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && after === undefined) throw new InvalidCursorError();
    const indexes = statuses === 'all' ? [...JOB_STATUSES] : [...statuses];
    const tag = owner === undefined ? undefined : ownerTag(owner);
    const records: JobRecord[] = [];
    let exhausted = false;
    while (records.length < limit && !exhausted) {
      const wanted = limit - records.length;
      const { keys, more } = await this.mergedKeys(indexes, after, tag === undefined ? wanted : OWNER_SCAN_KEYS);
      // The markers to read: the owner's (every one without an owner), no more than the page still needs.
      const toRead: typeof keys = [];
      let consumed = keys.length;
      for (const [position, marker] of keys.entries()) {
        if (tag !== undefined && ownerTagOf(marker.key) !== tag) continue;
        toRead.push(marker);
        if (toRead.length === wanted) {
          consumed = position + 1;
          break;
        }
      }
      exhausted = !more && consumed === keys.length;
      if (consumed > 0) after = keys[consumed - 1].key;
      const candidates = await Promise.all(toRead.map(async ({ index, key }) => ({ index, key, record: await this.get(idOfMarker(key)) })));
      for (const { index, key, record } of candidates) {
        if (!record) continue;
        const repeated = markerName(record) !== key;
        // Left by a repeated create, or by a status the record has moved past: it can never be current again.
        if (repeated || isLaterStatus(record.status, index)) this.forgetMarker(index, key);
        const shown = !repeated && (statuses === 'all' || statuses.includes(record.status)) && (owner === undefined || record.owner === owner);
        if (shown && !records.some((kept) => kept.id === record.id)) records.push(record);
      }
    }
    return { records, ...(!exhausted && after !== undefined && { nextCursor: encodeCursor(after) }) };
  }

  /**
   * How many records each status has (and `all`), for one owner or every one, from the index markers' names
   * alone: no record is read. Each count stops at `limit` (a count equal to it means at least that many). A record
   * moving between statuses has both markers for a moment (its old one is removed a second or so later), and a
   * writer that died between the two steps leaves the old one until a listing meets it, so a status's count may be
   * one or two high while jobs change; `all` counts each record once.
   */
  async countByStatus(limit: number, owner?: string): Promise<Record<JobStatus | 'all', number>> {
    const tag = owner === undefined ? undefined : ownerTag(owner);
    const markers = await Promise.all(
      JOB_STATUSES.map(async (status) => {
        const names: string[] = [];
        let after: string | undefined;
        for (;;) {
          const prefix = indexPrefix(status);
          const { keys, truncated } = await this.storage.listKeys(this.bucket, prefix, { startAfter: after, maxKeys: OWNER_SCAN_KEYS });
          names.push(...keys.map((key) => key.slice(prefix.length)).filter((name) => tag === undefined || ownerTagOf(name) === tag));
          if (names.length >= limit || !truncated || keys.length === 0) return names.slice(0, limit);
          after = keys.at(-1);
        }
      }),
    );
    const counts = Object.fromEntries(JOB_STATUSES.map((status, position) => [status, markers[position].length])) as Record<JobStatus, number>;
    return { ...counts, all: Math.min(new Set(markers.flat()).size, limit) };
  }

  /** The next `count` marker names after `after` across the given indexes, merged in key order. */
  private async mergedKeys(indexes: JobStatus[], after: string | undefined, count: number) {
    const pages = await Promise.all(
      indexes.map(async (index) => {
        const prefix = indexPrefix(index);
        const page = await this.storage.listKeys(this.bucket, prefix, { startAfter: after && prefix + after, maxKeys: count + 1 });
        return { index, page, keys: page.keys.map((key) => key.slice(prefix.length)) };
      }),
    );
    const merged = pages
      .flatMap(({ index, keys }) => keys.map((key) => ({ index, key })))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : isLaterStatus(a.index, b.index) ? -1 : 1))
      // A record met under two statuses is read once, under the later (statuses only move forward).
      .filter((marker, position, sorted) => position === 0 || sorted[position - 1].key !== marker.key);
    const taken = merged.slice(0, count);
    return { keys: taken, more: merged.length > count || pages.some(({ page }) => page.truncated) };
  }

  private async read(id: string): Promise<VersionedRecord | undefined> {
    const object = await this.storage.get(this.bucket, recordKey(id));
    if (!object) return undefined;
    const versioned = { record: JSON.parse(object.body.toString()) as JobRecord, etag: object.etag };
    this.remember(versioned);
    return versioned;
  }

  /** Keeps the version of a record that may still change, the most recently seen last; ended ones are let go. */
  private remember(versioned: VersionedRecord): void {
    const { id } = versioned.record;
    this.knownVersions.delete(id);
    if (isTerminal(versioned.record.status)) return;
    this.knownVersions.set(id, versioned);
    if (this.knownVersions.size > KNOWN_VERSIONS_LIMIT) this.knownVersions.delete(this.knownVersions.keys().next().value!);
  }

  /**
   * Removes the markers no longer current, many in one request: they are left a second or so (listings skip them
   * meanwhile, as they skip any a writer that died left behind), which saves a request per status change. Called
   * at shutdown too; a removal that fails leaves them to the listings that meet them.
   */
  async removeStaleMarkers(): Promise<void> {
    clearTimeout(this.staleMarkersTimer);
    this.staleMarkersTimer = undefined;
    while (this.staleMarkers.size > 0) {
      const keys = [...this.staleMarkers].slice(0, STALE_MARKERS_PER_REQUEST);
      for (const key of keys) this.staleMarkers.delete(key);
      await this.storage.removeMany(this.bucket, keys).catch(() => undefined);
    }
  }

  private async writeMarker(index: JobStatus, key: string): Promise<void> {
    await this.storage.put(this.bucket, indexKey(index, key), '', { contentType: 'text/plain' });
  }

  private forgetMarker(index: JobStatus, key: string): void {
    this.staleMarkers.add(indexKey(index, key));
    if (this.staleMarkers.size >= STALE_MARKERS_PER_REQUEST) void this.removeStaleMarkers();
    else this.staleMarkersTimer ??= setTimeout(() => void this.removeStaleMarkers(), STALE_MARKERS_WAIT_MS).unref();
  }

  /**
   * Forgets the marker of a status this update wrote but lost the record to another writer with, once the record
   * has settled in another status: statuses only move forward, so that marker can never be current again.
   */
  private forgetLostMarker(lost: JobStatus | undefined, settled: JobRecord, key: string): void {
    if (lost !== undefined && lost !== settled.status && isTerminal(settled.status)) this.forgetMarker(lost, key);
  }
}
