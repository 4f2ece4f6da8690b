/**
 * Benchmark of the Kubernetes API simulator: N Jobs of the in-process image `kube-sim/sleep-exit`
 * created at once through @kubernetes/client-node, followed to Complete through one watch, as the worker
 * does. Reports Jobs created per second and create-to-Complete latency (p50, p99) per round, and the
 * latency of one Job at a time on an idle simulator for comparison. A first warm-up round (JIT, lazily
 * loaded client code) is shown but left out of the summary. `simThroughput` is the simulator's capacity at a
 * fixed concurrency, the baseline of the end-to-end throughput in `npm run bench`.
 *
 *   npx tsx bench/kube-sim.ts [--jobs 1000] [--rounds 5]
 */
import { BatchV1Api, KubeConfig, Watch, type V1Job } from '@kubernetes/client-node';
import { cpus, totalmem } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startKubeSim } from '../tools/kube-sim/index.js';
import { BENCH_IMAGES, oneShotJob } from './harness.js';
import { percentile, spread } from './stats.js';

interface Round {
  createPerSecond: number;
  cpuMsPerJob: number;
  p50: number;
  p99: number;
  allCompleteMs: number;
  requestsByVerb: Record<string, number>;
}

/** A simulator, a client and one watch that resolves each Job's promise when it is Complete, as the worker follows Jobs. */
async function harness(image = 'kube-sim/sleep-exit') {
  const sim = await startKubeSim({ images: BENCH_IMAGES });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(sim.kubeconfig);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const waiting = new Map<string, () => void>();
  const watch = await new Watch(kubeConfig).watch(
    '/apis/batch/v1/namespaces/default/jobs',
    { labelSelector: 'bench=kube-sim', allowWatchBookmarks: true },
    (_type, object: V1Job) => {
      if (!object.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) return;
      waiting.get(object.metadata!.name!)?.();
      waiting.delete(object.metadata!.name!);
    },
    (error) => error && !(error instanceof Error && error.name === 'AbortError') && console.error('watch ended:', error),
  );
  /** Creates a Job; `complete` resolves with its create-to-Complete time. */
  const run = async (name: string) => {
    const start = performance.now();
    const complete = new Promise<number>((resolve) => waiting.set(name, () => resolve(performance.now() - start)));
    await batch.createNamespacedJob({ namespace: 'default', body: oneShotJob(name, image, { bench: 'kube-sim' }) });
    return { complete };
  };
  const stop = async () => {
    watch.abort();
    await sim.stop();
  };
  return { sim, run, stop };
}

/**
 * `jobs` Jobs of the benchmark image through `concurrency` slots, each creating a Job and waiting for it to
 * complete before the next, as a worker with that prefetch does: Jobs per minute, and CPU ms per Job.
 */
export async function simThroughput(jobs: number, concurrency: number): Promise<{ jobsPerMinute: number; cpuMsPerJob: number }> {
  const { run, stop } = await harness('bench/exit');
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    let next = 0;
    const slot = async () => {
      while (next < jobs) await (await run(`slot-${next++}`)).complete;
    };
    await Promise.all(Array.from({ length: concurrency }, slot));
    const { user, system } = process.cpuUsage(cpu);
    return { jobsPerMinute: (jobs * 60_000) / (performance.now() - started), cpuMsPerJob: (user + system) / 1000 / jobs };
  } finally {
    await stop();
  }
}

async function round(jobs: number): Promise<Round> {
  const { sim, run, stop } = await harness();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const created = await Promise.all(Array.from({ length: jobs }, (_, i) => run(`bench-${i}`)));
  const createMs = performance.now() - started;
  const latencies = await Promise.all(created.map((c) => c.complete));
  const allCompleteMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  const requestsByVerb: Record<string, number> = {};
  for (const request of sim.requests) requestsByVerb[request.verb] = (requestsByVerb[request.verb] ?? 0) + 1;
  await stop();
  return { createPerSecond: jobs / (createMs / 1000), cpuMsPerJob: (user + system) / 1000 / jobs, p50: percentile(latencies, 50), p99: percentile(latencies, 99), allCompleteMs, requestsByVerb };
}

/** create-to-Complete of one Job at a time: the simulator's own latency, without queueing. */
async function idleLatencies(count: number): Promise<number[]> {
  const { run, stop } = await harness();
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) latencies.push(await (await run(`idle-${i}`)).complete);
  await stop();
  return latencies;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { jobs: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '5' } } });
  const JOBS = Number(values.jobs);
  const ROUNDS = Number(values.rounds);
  console.log(`kube-sim benchmark: ${JOBS} concurrent Jobs of kube-sim/sleep-exit, ${ROUNDS} rounds`);
  console.log(`machine: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
  const rounds: Round[] = [];
  for (let i = 0; i <= ROUNDS; i++) {
    const result = await round(JOBS);
    if (i > 0) rounds.push(result);
    console.log(
      `${i === 0 ? 'warm-up' : `round ${i}`}: ${result.createPerSecond.toFixed(0)} Jobs created/s, ${result.cpuMsPerJob.toFixed(2)} ms CPU per Job, create-to-Complete p50 ${result.p50.toFixed(0)} ms, p99 ${result.p99.toFixed(0)} ms, all Complete after ${result.allCompleteMs.toFixed(0)} ms; requests ${JSON.stringify(result.requestsByVerb)}`,
    );
  }
  const idle = await idleLatencies(50);
  console.log(`one Job at a time (50 Jobs): create-to-Complete p50 ${percentile(idle, 50).toFixed(1)} ms, p99 ${percentile(idle, 99).toFixed(1)} ms`);
  const over = (pick: (r: Round) => number, digits = 0) => spread(rounds.map(pick), digits);
  console.log('\n| figure | median (min–max) over rounds |\n| --- | --- |');
  console.log(`| Jobs created per second | ${over((r) => r.createPerSecond)} |`);
  console.log(`| create-to-Complete p50 (ms) | ${over((r) => r.p50)} |`);
  console.log(`| create-to-Complete p99 (ms) | ${over((r) => r.p99)} |`);
  console.log(`| all ${JOBS} Complete after (ms) | ${over((r) => r.allCompleteMs)} |`);
  console.log(`| CPU per Job, client and simulator in one process (ms) | ${over((r) => r.cpuMsPerJob, 2)} |`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
