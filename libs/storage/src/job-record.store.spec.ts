import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newJobRecord, type JobRecord, type JobStatus } from '@app/contracts';
import { randomUUID } from 'node:crypto';
import { startS3Server, type S3Server } from '../../../tools/s3-server/s3-server.js';
import { InvalidCursorError, JobRecordStore, RecordNotFoundError } from './job-record.store.js';
import { ObjectStorage } from './object-storage.js';

function newRecord(queuedAt: Date, status: JobStatus = 'queued', owner = 'alice'): JobRecord {
  const request = { id: randomUUID(), image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'in.bucket', outputBucket: 'in.bucket', timeOut: 15 };
  return { ...newJobRecord(request, owner, queuedAt.toISOString()), status };
}

describe('JobRecordStore', () => {
  let s3: S3Server;
  let storage: ObjectStorage;
  let bucketNumber = 0;

  beforeAll(async () => {
    s3 = await startS3Server();
    storage = new ObjectStorage({ endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey, region: 'us-east-1' });
  });
  afterAll(() => s3.stop());

  /** The object keys read while `action` runs. */
  async function keysReadDuring(action: () => Promise<void>): Promise<string[]> {
    const reads: string[] = [];
    const get = storage.get.bind(storage);
    storage.get = async (bucket, key) => {
      reads.push(key);
      return get(bucket, key);
    };
    try {
      await action();
    } finally {
      storage.get = get;
    }
    return reads;
  }

  async function freshStore(): Promise<JobRecordStore> {
    const store = new JobRecordStore(storage, `records-${++bucketNumber}`);
    await store.init();
    return store;
  }

  it('creates a record once and returns the existing one for the same id', async () => {
    const store = await freshStore();
    const record = newRecord(new Date());
    expect(await store.create(record)).toEqual({ created: true, record });
    const again = await store.create({ ...record, request: { ...record.request, image: 'other' } });
    expect(again).toEqual({ created: false, record });
  });

  it('moves a record through its statuses and keeps terminal records terminal', async () => {
    const store = await freshStore();
    const record = newRecord(new Date());
    await store.create(record);
    const t = (s: number) => new Date(Date.parse(record.queuedAt) + s * 1000).toISOString();
    expect((await store.update(record.id, { status: 'running', at: t(1) })).outcome).toBe('applied');
    expect((await store.update(record.id, { status: 'succeeded', at: t(2), exitCode: 0, logObject: 'x.log' })).outcome).toBe('applied');
    expect((await store.update(record.id, { status: 'cancelled', at: t(3) })).outcome).toBe('rejected');
    expect(await store.get(record.id)).toMatchObject({ status: 'succeeded', exitCode: 0, logObject: 'x.log', startedAt: t(1), finishedAt: t(2) });
  });

  it('refuses to update a record that does not exist', async () => {
    const store = await freshStore();
    await expect(store.update(randomUUID(), { status: 'running', at: new Date().toISOString() })).rejects.toBeInstanceOf(RecordNotFoundError);
  });

  it('lets exactly one of two workers end a record when both race', async () => {
    const store = await freshStore();
    const other = new JobRecordStore(storage, `records-${bucketNumber}`);
    for (let round = 0; round < 5; round++) {
      const record = newRecord(new Date(), 'running');
      await store.create(record);
      const at = new Date().toISOString();
      const [first, second] = await Promise.all([
        store.update(record.id, { status: 'succeeded', at, exitCode: 0 }),
        other.update(record.id, { status: 'cancelled', at, reason: 'cancelled by user' }),
      ]);
      const winners = [first, second].filter((result) => result.outcome === 'applied');
      expect(winners).toHaveLength(1);
      const stored = await store.get(record.id);
      expect(stored?.status).toBe(winners[0].record.status);
      const listed = await store.list([stored!.status], 10);
      expect(listed.records.map((r) => r.id)).toContain(record.id);
      expect((await store.list(['running'], 10)).records.map((r) => r.id)).not.toContain(record.id);
    }
  });

  it('keeps every update when many writers add to one record concurrently', async () => {
    const store = await freshStore();
    const record = newRecord(new Date());
    await store.create(record);
    const writers = Array.from({ length: 6 }, () => new JobRecordStore(storage, `records-${bucketNumber}`));
    const at = new Date().toISOString();
    const results = await Promise.all(writers.map((writer) => writer.update(record.id, { status: 'running', at })));
    expect(results.filter((r) => r.outcome === 'applied')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'unchanged')).toHaveLength(5);
  });

  it('updates a record it wrote itself without reading it again', async () => {
    const store = await freshStore();
    const record = newRecord(new Date());
    await store.create(record);
    const before = s3.requests.length;
    await store.update(record.id, { status: 'running', at: new Date().toISOString() });
    await store.update(record.id, { status: 'succeeded', at: new Date().toISOString(), exitCode: 0 });
    const requests = s3.requests.slice(before);
    expect(requests.filter((r) => r.startsWith('GET'))).toEqual([]);
    expect(requests.filter((r) => r.startsWith('PUT') && r.includes('/jobs/'))).toHaveLength(2);
    expect(await store.get(record.id)).toMatchObject({ status: 'succeeded', exitCode: 0 });
  });

  it('reads the record again when another writer changed it since this store last saw it', async () => {
    const store = await freshStore();
    const other = new JobRecordStore(storage, `records-${bucketNumber}`);
    const record = newRecord(new Date());
    await store.create(record);
    await other.update(record.id, { status: 'running', at: new Date().toISOString() });
    expect((await other.update(record.id, { status: 'cancelled', at: new Date().toISOString(), reason: 'Cancelled' })).outcome).toBe('applied');
    const late = await store.update(record.id, { status: 'succeeded', at: new Date().toISOString(), exitCode: 0 });
    expect(late).toMatchObject({ outcome: 'rejected', record: { status: 'cancelled', reason: 'Cancelled' } });
    expect((await store.update(record.id, { status: 'running', at: new Date().toISOString() })).record.status).toBe('cancelled');
    expect((await store.list(['cancelled'], 10)).records.map((r) => r.id)).toEqual([record.id]);
    // The marker written for the write that lost is gone again, not left for every listing to skip.
    await Promise.all([store.removeStaleMarkers(), other.removeStaleMarkers()]);
    const markers = await storage.listKeys(`records-${bucketNumber}`, 'index/', { maxKeys: 10 });
    expect(markers.keys.map((key) => key.split('/')[1]).sort()).toEqual(['cancelled']);
  });

  it('lists one status newest first, in pages, reading only what the page needs', async () => {
    const store = await freshStore();
    const base = Date.parse('2026-03-01T00:00:00Z');
    const records = Array.from({ length: 25 }, (_, i) => newRecord(new Date(base + i * 1000), i % 5 === 0 ? 'running' : 'queued'));
    for (const record of records) await store.create(record);
    const running = records.filter((r) => r.status === 'running').reverse();
    const before = s3.requests.length;
    const first = await store.list(['running'], 3);
    const requests = s3.requests.slice(before);
    expect(first.records.map((r) => r.id)).toEqual(running.slice(0, 3).map((r) => r.id));
    expect(requests.filter((r) => r.startsWith('GET') && r.includes('prefix=index'))).toHaveLength(1);
    expect(requests.filter((r) => r.includes('/jobs/'))).toHaveLength(3);
    const second = await store.list(['running'], 3, first.nextCursor);
    expect(second.records.map((r) => r.id)).toEqual(running.slice(3).map((r) => r.id));
    expect(second.nextCursor).toBeUndefined();
  });

  it('merges several statuses and lists everything newest first', async () => {
    const store = await freshStore();
    const base = Date.parse('2026-03-02T00:00:00Z');
    const records = Array.from({ length: 7 }, (_, i) => newRecord(new Date(base + i * 1000), (['queued', 'running', 'failed'] as const)[i % 3]));
    for (const record of records) await store.create(record);
    const newestFirst = [...records].reverse();
    const active = await store.list(['queued', 'running'], 10);
    expect(active.records.map((r) => r.id)).toEqual(newestFirst.filter((r) => r.status !== 'failed').map((r) => r.id));
    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list('all', 2, cursor);
      all.push(...page.records.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(all).toEqual(newestFirst.map((r) => r.id));
  });

  it('does not list a record under a status it has left, even when an old marker remains', async () => {
    const store = await freshStore();
    const record = newRecord(new Date());
    await store.create(record);
    await store.update(record.id, { status: 'running', at: new Date().toISOString() });
    // A writer that died between its record write and its marker clean-up leaves the old marker behind.
    await storage.put(`records-${bucketNumber}`, `index/queued/${(await import('./record-index.js')).markerName(record)}`, '');
    expect((await store.list(['queued'], 10)).records).toEqual([]);
    expect((await store.list(['running'], 10)).records.map((r) => r.id)).toEqual([record.id]);
  });

  it('lists a record submitted twice once, and keeps no markers of the second submission', async () => {
    const store = await freshStore();
    const bucket = `records-${bucketNumber}`;
    const record = newRecord(new Date('2026-03-03T00:00:00Z'));
    const other = newRecord(new Date('2026-03-03T00:00:01Z'));
    await store.create(record);
    await store.create(other);
    // The same id again, later (as a client retrying its POST does): its markers would sort ahead of the first.
    expect(await store.create({ ...record, queuedAt: '2026-03-03T00:00:02Z' })).toEqual({ created: false, record });
    await store.removeStaleMarkers();
    expect((await storage.listKeys(bucket, 'index/', { maxKeys: 10 })).keys).toHaveLength(2);
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list('all', 1, cursor);
      pages.push(page.records.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.flat()).toEqual([other.id, record.id]);

    // A marker such a create left behind (its writer died before removing it) is skipped and removed by a listing.
    const { markerName } = await import('./record-index.js');
    const strayKey = markerName({ ...record, queuedAt: '2026-03-03T00:00:03Z' });
    await storage.put(bucket, `index/queued/${strayKey}`, '');
    expect((await store.list(['queued'], 10)).records.map((r) => r.id)).toEqual([other.id, record.id]);
    await store.removeStaleMarkers();
    expect((await storage.listKeys(bucket, 'index/queued/', { maxKeys: 10 })).keys).not.toContain(`index/queued/${strayKey}`);
  });

  it('removes the markers that status changes leave a second later, many in one request, and lists every status meanwhile', async () => {
    const store = await freshStore();
    const bucket = `records-${bucketNumber}`;
    const base = Date.parse('2026-03-05T00:00:00Z');
    const records = Array.from({ length: 5 }, (_, i) => newRecord(new Date(base + i * 1000)));
    const before = s3.requests.length;
    for (const record of records) {
      await store.create(record);
      await store.update(record.id, { status: 'running', at: record.queuedAt });
      await store.update(record.id, { status: 'succeeded', at: record.queuedAt, exitCode: 0 });
    }
    // Every status at once names each record once, by the later of its markers: one read per record.
    const reads = await keysReadDuring(async () => expect((await store.list('all', 10)).records.map((r) => r.status)).toEqual(Array(5).fill('succeeded')));
    expect(reads).toHaveLength(5);
    const markers = async () => (await storage.listKeys(bucket, 'index/', { maxKeys: 100 })).keys.map((key) => key.split('/')[1]);
    const deadline = Date.now() + 5000;
    while ((await markers()).some((index) => index !== 'succeeded') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await markers()).toEqual(Array(5).fill('succeeded'));
    const mine = s3.requests.slice(before).filter((request) => request.includes(`/${bucket}`));
    expect(mine.filter((request) => request.startsWith('DELETE'))).toEqual([]);
    expect(mine.filter((request) => request.startsWith('POST'))).toEqual([`POST /${bucket}?delete`]);
  });

  it('rejects a cursor it did not hand out', async () => {
    const store = await freshStore();
    await expect(store.list('all', 5, 'bm90LWEtY3Vyc29y')).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('counts the records of each status, for all or one owner, from the markers alone, up to a limit', async () => {
    const store = await freshStore();
    const base = Date.parse('2026-04-04T00:00:00Z');
    const made: Array<[string, JobStatus]> = [['alice', 'queued'], ['bob', 'queued'], ['alice', 'running'], ['alice', 'succeeded'], ['bob', 'failed'], ['alice', 'cancelled']];
    for (const [i, [owner, status]] of made.entries()) {
      const record = newRecord(new Date(base + i * 1000), 'queued', owner);
      await store.create(record);
      if (status === 'running' || status === 'succeeded') await store.update(record.id, { status: 'running', at: record.queuedAt });
      if (status !== 'queued' && status !== 'running') await store.update(record.id, { status, at: record.queuedAt, reason: status === 'cancelled' ? 'Cancelled' : 'Error' });
    }
    const reads = await keysReadDuring(async () => {
      // Before the moved records' old markers are removed, each record still counts once in all.
      expect(await store.countByStatus(100)).toMatchObject({ all: 6, queued: 6 });
      await store.removeStaleMarkers();
      expect(await store.countByStatus(100)).toEqual({ all: 6, queued: 2, running: 1, succeeded: 1, failed: 1, timed_out: 0, cancelled: 1 });
      expect(await store.countByStatus(100, 'alice')).toEqual({ all: 4, queued: 1, running: 1, succeeded: 1, failed: 0, timed_out: 0, cancelled: 1 });
      expect(await store.countByStatus(100, 'dave')).toEqual({ all: 0, queued: 0, running: 0, succeeded: 0, failed: 0, timed_out: 0, cancelled: 0 });
      expect(await store.countByStatus(3)).toMatchObject({ all: 3, queued: 2 });
    });
    expect(reads).toEqual([]);
  });

  describe('for one owner', () => {
    it("lists only the owner's records, paged, while a listing for all shows every one", async () => {
      const store = await freshStore();
      const base = Date.parse('2026-04-01T00:00:00Z');
      const owners = ['alice', 'bob', 'alice', 'carol', 'bob', 'alice'];
      const records = owners.map((owner, i) => newRecord(new Date(base + i * 1000), 'queued', owner));
      for (const record of records) await store.create(record);
      const newestFirst = (owner?: string) => records.filter((r) => owner === undefined || r.owner === owner).reverse().map((r) => r.id);

      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list('all', 2, cursor, 'alice');
        pages.push(page.records.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(pages.flat()).toEqual(newestFirst('alice'));
      expect((await store.list(['queued'], 10, undefined, 'bob')).records.map((r) => r.id)).toEqual(newestFirst('bob'));
      expect((await store.list('all', 10, undefined, 'dave')).records).toEqual([]);
      expect((await store.list('all', 10)).records.map((r) => r.id)).toEqual(newestFirst());
    });

    it('reads none of the other owners\' records to list one owner\'s', async () => {
      const store = await freshStore();
      const mine = newRecord(new Date('2026-04-02T00:00:00Z'), 'queued', 'alice');
      await store.create(mine);
      for (let i = 1; i <= 5; i++) await store.create(newRecord(new Date(Date.parse(mine.queuedAt) + i * 1000), 'queued', 'bob'));
      const fresh = new JobRecordStore(storage, `records-${bucketNumber}`);
      const reads = await keysReadDuring(async () => {
        expect((await fresh.list('all', 10, undefined, 'alice')).records.map((r) => r.id)).toEqual([mine.id]);
      });
      expect(reads).toEqual([`jobs/${mine.id}.json`]);
    });

    it('keeps records written before owners readable: listed for all, never for an owner', async () => {
      const store = await freshStore();
      const { owner: _owner, ...old } = newRecord(new Date('2026-04-03T00:00:00Z'));
      await store.create(old);
      expect((await storage.listKeys(`records-${bucketNumber}`, 'index/queued/', { maxKeys: 10 })).keys).toEqual([`index/queued/${(await import('./record-index.js')).sortKey(old.queuedAt, old.id)}`]);
      expect((await store.list('all', 10)).records.map((r) => r.id)).toEqual([old.id]);
      expect((await store.list('all', 10, undefined, 'alice')).records).toEqual([]);
      await store.update(old.id, { status: 'running', at: new Date().toISOString() });
      expect((await store.list(['running'], 10)).records.map((r) => r.id)).toEqual([old.id]);
    });
  });
});
