/**
 * Listing one status page out of many job records: latency and S3 requests of `JobRecordStore.list` (what
 * `GET /jobs?status=…` does), against a baseline that reads every record to filter them, as a store without an
 * index would have to.
 *
 *   npx tsx bench/record-listing.ts [--records 10000] [--rounds 30] [--page 20]
 */
import { JOB_STATUSES, newJobRecord, type JobRecord, type JobStatus } from '@app/contracts';
import { JobRecordStore, ObjectStorage } from '@app/storage';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { startS3Server, type S3Server } from '../tools/s3-server/s3-server.js';
import { storageOptions } from './harness.js';
import { median, percentile } from './stats.js';

export interface RecordListingResult {
  records: number;
  page: number;
  status: JobStatus;
  matching: number;
  indexed: { p50Ms: number; p99Ms: number; s3Requests: number };
  scan: { ms: number; s3Requests: number };
  fillSeconds: number;
}

/** Most records end well; a few are still going. */
const MIX: Array<[JobStatus, number]> = [
  ['succeeded', 0.8],
  ['failed', 0.1],
  ['timed_out', 0.02],
  ['cancelled', 0.03],
  ['running', 0.03],
  ['queued', 0.02],
];

export async function benchRecordListing(options: { records: number; rounds: number; page: number }): Promise<RecordListingResult> {
  const s3 = await startS3Server();
  try {
    const storage = new ObjectStorage(storageOptions(s3));
    const store = new JobRecordStore(storage, 'bench-records');
    await store.init();
    const fillStarted = Date.now();
    const counts = await fill(store, options.records);
    const fillSeconds = (Date.now() - fillStarted) / 1000;
    const status: JobStatus = 'running';

    const latencies: number[] = [];
    let s3Requests = 0;
    for (let round = 0; round < options.rounds; round++) {
      const before = s3.requests.length;
      const started = performance.now();
      const page = await store.list([status], options.page);
      latencies.push(performance.now() - started);
      s3Requests = s3.requests.length - before;
      if (page.records.length !== Math.min(options.page, counts[status])) throw new Error('listing returned a short page');
    }
    const scan = await scanEverything(storage, s3, status, options.page);
    latencies.sort((a, b) => a - b);
    return {
      records: options.records,
      page: options.page,
      status,
      matching: counts[status],
      indexed: { p50Ms: median(latencies), p99Ms: percentile(latencies, 99), s3Requests },
      scan,
      fillSeconds,
    };
  } finally {
    await s3.stop();
  }
}

/** Writes the records through the store, many at a time, with statuses in the proportions above. */
async function fill(store: JobRecordStore, total: number): Promise<Record<JobStatus, number>> {
  const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
  const base = Date.now() - total * 1000;
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const status = pick(i / total);
      counts[status]++;
      const record: JobRecord = { ...newJobRecord({ id: randomUUID(), image: 'mstc/python-test', jobName: 'bench', inputBucket: 'in.bucket', outputBucket: 'in.bucket', timeOut: 15 }, 'bench', new Date(base + i * 1000).toISOString()), status };
      await store.create(record);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return counts;
}

function pick(fraction: number): JobStatus {
  // Spread deterministically so every stretch of time holds every status.
  const position = (fraction * 7919) % 1;
  let sum = 0;
  for (const [status, share] of MIX) {
    sum += share;
    if (position < sum) return status;
  }
  return 'succeeded';
}

/** The baseline: list every record and read each, keeping the newest of one status. */
async function scanEverything(storage: ObjectStorage, s3: S3Server, status: JobStatus, page: number): Promise<{ ms: number; s3Requests: number }> {
  const before = s3.requests.length;
  const started = performance.now();
  const matching: JobRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const { keys, truncated } = await storage.listKeys('bench-records', 'jobs/', { startAfter: after, maxKeys: 1000 });
    const records = await Promise.all(keys.map(async (key) => JSON.parse((await storage.get('bench-records', key))!.body.toString()) as JobRecord));
    matching.push(...records.filter((record) => record.status === status));
    after = keys.at(-1);
    if (!truncated || !after) break;
  }
  matching.sort((a, b) => b.queuedAt.localeCompare(a.queuedAt)).splice(page);
  if (matching.length === 0) throw new Error('the scan found no record of that status');
  return { ms: performance.now() - started, s3Requests: s3.requests.length - before };
}

export function formatRecordListing(result: RecordListingResult): string[][] {
  return [
    [`list one status page (${result.page} of ${result.matching} '${result.status}' among ${result.records} records), p50 / p99`, `${result.indexed.p50Ms.toFixed(1)} ms / ${result.indexed.p99Ms.toFixed(1)} ms`],
    ['  S3 requests for that page', `${result.indexed.s3Requests} (1 list + ${result.indexed.s3Requests - 1} record reads)`],
    ['  baseline: read every record and filter', `${result.scan.ms.toFixed(0)} ms, ${result.scan.s3Requests} S3 requests`],
    ['  ratio (baseline time ÷ indexed p50)', `${(result.scan.ms / result.indexed.p50Ms).toFixed(0)}×`],
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { records: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '30' }, page: { type: 'string', default: '20' } } });
  const result = await benchRecordListing({ records: Number(values.records), rounds: Number(values.rounds), page: Number(values.page) });
  for (const [figure, value] of formatRecordListing(result)) console.log(`${figure.padEnd(90)} ${value}`);
  console.log(`(filling ${result.records} records took ${result.fillSeconds.toFixed(1)} s)`);
}
