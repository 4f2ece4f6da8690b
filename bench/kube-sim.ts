/**
 * Benchmark of the Kubernetes API simulator: N Jobs of the in-process image `kube-sim/sleep-exit`
 * created at once through @kubernetes/client-node, followed to Complete through one watch, as the worker
 * does. Reports Jobs created per second and create-to-Complete latency (p50, p99) per round, and the
 * latency of one Job at a time on an idle simulator for comparison. A first warm-up round (JIT, lazily
 * loaded client code) is shown but left out of the summary.
 *
 *   npx tsx bench/kube-sim.ts [--jobs 1000] [--rounds 5]
 */
import { BatchV1Api, KubeConfig, Watch, type V1Job } from '@kubernetes/client-node';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { startKubeSim } from '../test/kube-sim/index.js';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '5' } } });
const JOBS = Number(values.jobs);
const ROUNDS = Number(values.rounds);

interface Round {
  createPerSecond: number;
  cpuMsPerJob: number;
  p50: number;
  p99: number;
  allCompleteMs: number;
  requestsByVerb: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function job(name: string): V1Job {
  return {
    metadata: { name, labels: { bench: 'kube-sim' } },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: { bench: 'kube-sim' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'kube-sim/sleep-exit' }] },
      },
    },
  };
}

/** A simulator, a client and one watch that resolves each Job's promise when it is Complete, as the worker follows Jobs. */
async function harness() {
  const sim = await startKubeSim();
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
    await batch.createNamespacedJob({ namespace: 'default', body: job(name) });
    return { complete };
  };
  const stop = async () => {
    watch.abort();
    await sim.stop();
  };
  return { sim, run, stop };
}

async function round(): Promise<Round> {
  const { sim, run, stop } = await harness();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const created = await Promise.all(Array.from({ length: JOBS }, (_, i) => run(`bench-${i}`)));
  const createMs = performance.now() - started;
  const latencies = (await Promise.all(created.map((c) => c.complete))).sort((a, b) => a - b);
  const allCompleteMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  const requestsByVerb: Record<string, number> = {};
  for (const request of sim.requests) requestsByVerb[request.verb] = (requestsByVerb[request.verb] ?? 0) + 1;
  await stop();
  return { createPerSecond: JOBS / (createMs / 1000), cpuMsPerJob: (user + system) / 1000 / JOBS, p50: percentile(latencies, 50), p99: percentile(latencies, 99), allCompleteMs, requestsByVerb };
}

/** create-to-Complete of one Job at a time: the simulator's own latency, without queueing. */
async function idleLatencies(count: number): Promise<number[]> {
  const { run, stop } = await harness();
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) latencies.push(await (await run(`idle-${i}`)).complete);
  await stop();
  return latencies.sort((a, b) => a - b);
}

console.log(`kube-sim benchmark: ${JOBS} concurrent Jobs of kube-sim/sleep-exit, ${ROUNDS} rounds`);
console.log(`machine: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
const rounds: Round[] = [];
for (let i = 0; i <= ROUNDS; i++) {
  const result = await round();
  if (i > 0) rounds.push(result);
  console.log(
    `${i === 0 ? 'warm-up' : `round ${i}`}: ${result.createPerSecond.toFixed(0)} Jobs created/s, ${result.cpuMsPerJob.toFixed(2)} ms CPU per Job, create-to-Complete p50 ${result.p50.toFixed(0)} ms, p99 ${result.p99.toFixed(0)} ms, all Complete after ${result.allCompleteMs.toFixed(0)} ms; requests ${JSON.stringify(result.requestsByVerb)}`,
  );
}
const idle = await idleLatencies(50);
console.log(`one Job at a time (50 Jobs): create-to-Complete p50 ${percentile(idle, 50).toFixed(1)} ms, p99 ${percentile(idle, 99).toFixed(1)} ms`);
const spread = (pick: (r: Round) => number, digits = 0) => {
  const values = rounds.map(pick).sort((a, b) => a - b);
  return `${percentile(values, 50).toFixed(digits)} (${values[0].toFixed(digits)}–${values[values.length - 1].toFixed(digits)})`;
};
console.log('\n| figure | median (min–max) over rounds |\n| --- | --- |');
console.log(`| Jobs created per second | ${spread((r) => r.createPerSecond)} |`);
console.log(`| create-to-Complete p50 (ms) | ${spread((r) => r.p50)} |`);
console.log(`| create-to-Complete p99 (ms) | ${spread((r) => r.p99)} |`);
console.log(`| all ${JOBS} Complete after (ms) | ${spread((r) => r.allCompleteMs)} |`);
console.log(`| CPU per Job, client and simulator in one process (ms) | ${spread((r) => r.cpuMsPerJob, 2)} |`);
