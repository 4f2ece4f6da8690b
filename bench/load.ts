/**
 * Load generators for the submit path and its baselines, run in a worker thread so that the client work competes
 * with the S3 server and the simulator (in the main thread) no more than the api, a process of its own, does:
 *   http  POST the body to the api with autocannon
 *   amqp  publish the body persistently on a confirm channel, each publish waiting for its confirm
 *   s3    PUT an object of the body's size
 * Each keeps `concurrency` requests in flight for `seconds` and reports the rate and the latency percentiles.
 */
import { ObjectStorage, type ObjectStorageOptions } from '@app/storage';
import amqp from 'amqplib';
import { createRequire } from 'node:module';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { percentile } from './stats.js';

interface AutocannonOptions {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  duration: number;
}

interface AutocannonResult {
  duration: number;
  requests: { total: number };
  latency: { p50: number; p99: number };
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

// autocannon is CommonJS without types; only what is used here is typed. Off the main thread it reports raw
// histograms (it takes the thread for one of its own workers), which `aggregateResult` turns into figures.
const autocannon = createRequire(import.meta.url)('autocannon') as {
  (options: AutocannonOptions): Promise<unknown>;
  aggregateResult(results: unknown[], options: AutocannonOptions): AutocannonResult;
};

export type LoadSpec =
  | { kind: 'http'; url: string; body: string; concurrency: number; seconds: number; token: string }
  | { kind: 'amqp'; url: string; queue: string; body: string; concurrency: number; seconds: number }
  | { kind: 's3'; storage: ObjectStorageOptions; bucket: string; body: string; concurrency: number; seconds: number };

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests that failed (non-2xx answers, errors, time-outs). */
  failed: number;
}

/** Runs the loads one after another in a thread of their own. */
export function runLoads(specs: LoadSpec[]): Promise<LoadResult[]> {
  // tsx's loader is registered per thread, so the thread registers it before loading this module.
  const start = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(start, { eval: true, workerData: specs });
    worker.once('message', (results: LoadResult[]) => {
      resolve(results);
      // Clients may keep idle sockets open; the thread has nothing left to do.
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`load thread exited with ${code} before reporting`)));
  });
}

async function httpLoad(spec: Extract<LoadSpec, { kind: 'http' }>): Promise<LoadResult> {
  const options = {
    url: spec.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${spec.token}` },
    body: spec.body,
    connections: spec.concurrency,
    duration: spec.seconds,
  };
  const result = autocannon.aggregateResult([await autocannon(options)], options);
  return {
    requests: result.requests.total,
    perSecond: result['2xx'] / (result.duration || spec.seconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

/** Runs `concurrency` loops of `send` for the given time, timing each call. */
async function closedLoop(spec: { concurrency: number; seconds: number }, send: (n: number) => Promise<unknown>): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  let sent = 0;
  const started = performance.now();
  const deadline = started + spec.seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const before = performance.now();
      try {
        await send(sent++);
        latencies.push(performance.now() - before);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, loop));
  const seconds = (performance.now() - started) / 1000;
  return { requests: latencies.length + failed, perSecond: latencies.length / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), failed };
}

async function amqpLoad(spec: Extract<LoadSpec, { kind: 'amqp' }>): Promise<LoadResult> {
  const connection = await amqp.connect(spec.url);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(spec.queue, { durable: true });
    const body = Buffer.from(spec.body);
    const result = await closedLoop(
      spec,
      () =>
        new Promise<void>((confirmed, refused) => {
          channel.publish('', spec.queue, body, { persistent: true, contentType: 'application/json' }, (error) => (error ? refused(error) : confirmed()));
        }),
    );
    await channel.deleteQueue(spec.queue);
    return result;
  } finally {
    await connection.close();
  }
}

async function s3Load(spec: Extract<LoadSpec, { kind: 's3' }>): Promise<LoadResult> {
  const storage = new ObjectStorage(spec.storage);
  await storage.ensureBucket(spec.bucket);
  return closedLoop(spec, (n) => storage.put(spec.bucket, `baseline/${n}.json`, spec.body, { contentType: 'application/json' }));
}

if (!isMainThread) {
  const results: LoadResult[] = [];
  for (const spec of workerData as LoadSpec[]) {
    results.push(await (spec.kind === 'http' ? httpLoad(spec) : spec.kind === 'amqp' ? amqpLoad(spec) : s3Load(spec)));
  }
  parentPort!.postMessage(results);
}
