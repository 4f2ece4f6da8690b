/**
 * Measurement 4 (end-to-end throughput) with what the same runs show of 2 (dispatch under a backlog) and 5 (cost
 * per Job): N requests of an image that exits at once, published at once as MSTC clients publish them, through one
 * worker or two, until every reply has arrived. The baseline, in the same round: the simulator's own capacity
 * at the same concurrency (`simThroughput`).
 */
import { BENCHMARK_PROCESS, CpuMeter, JobProbe, rabbitPid, startSystem, stopSystem, type BenchSettings } from './harness.js';
import { simThroughput } from './kube-sim.js';
import { percentile } from './stats.js';

/** The S3 test server's process, as `cpuMsPerJob` names it. */
const S3_SERVER = 'S3 server';

export interface ThroughputRun {
  workers: number;
  jobsPerMinute: number;
  simJobsPerMinute: number;
  /** CPU ms per Job of the simulator and its client alone, in this process. */
  simCpuMsPerJob: number;
  dispatchP50: number;
  dispatchP99: number;
  completionP50: number;
  completionP99: number;
  /** Per Job: Kubernetes API requests by verb and resource, S3 requests by kind, RabbitMQ messages by kind. */
  kube: Record<string, number>;
  s3: Record<string, number>;
  messages: Record<string, number>;
  /** CPU ms per Job by process, and the share of one core that the benchmark process (simulator, probe) and the S3 server's process used. */
  cpuMsPerJob: Record<string, number>;
  /** CPU ms per Job of the workers together, measured after the warm-up. */
  workerCpuMsPerJob: number;
  /** The same over the warm-up: the first Jobs of fresh workers, while V8 still compiles their hot code. */
  coldWorkerCpuMsPerJob: number;
  benchmarkProcessBusy: number;
  s3ServerBusy: number;
}

export interface ThroughputOptions {
  jobs: number;
  /** Jobs run and awaited before the measured ones, so that the figures show workers as they run for days. */
  warmupJobs: number;
  workers: number;
  concurrency: number;
}

export async function benchThroughput(settings: BenchSettings, options: ThroughputOptions): Promise<ThroughputRun> {
  const run = await systemRun(settings, options);
  const baseline = await simThroughput(options.jobs, options.concurrency * options.workers);
  return { ...run, simJobsPerMinute: baseline.jobsPerMinute, simCpuMsPerJob: baseline.cpuMsPerJob };
}

async function systemRun(settings: BenchSettings, options: ThroughputOptions): Promise<Omit<ThroughputRun, 'simJobsPerMinute' | 'simCpuMsPerJob'>> {
  const system = await startSystem(settings, { workers: options.workers, concurrency: options.concurrency });
  const probe = await JobProbe.start(system);
  try {
    const { s3, sim } = system;
    const rabbit = rabbitPid();
    const workers = Object.fromEntries(system.workers.map((worker, i) => [`worker ${i + 1}`, worker.pid]));
    const workersCpuMs = (used: Record<string, number>) => Object.keys(workers).reduce((sum, name) => sum + used[name], 0);
    // V8 compiles a worker's hot code over its first few thousand Jobs (TurboFan, on threads of its own): that CPU
    // is spent once per process, so it is measured apart, and the figures below are of warm workers.
    const warmupCpu = new CpuMeter(workers);
    probe.publish(options.warmupJobs, 'bench/exit');
    await probe.replied(options.warmupJobs, 15 * 60_000);
    const coldWorkerCpuMsPerJob = workersCpuMs(warmupCpu.used()) / options.warmupJobs;
    const [s3Before, kubeBefore, eventsBefore] = [(await s3.requestLog()).length, sim.requests.length, probe.events];
    const cpu = new CpuMeter({
      [S3_SERVER]: s3.pid,
      ...workers,
      ...(rabbit && { RabbitMQ: rabbit }),
    });
    const names = probe.publish(options.jobs, 'bench/exit');
    await probe.replied(options.warmupJobs + options.jobs, 15 * 60_000);
    const spanMs = probe.span(names);
    const cpuUsed = cpu.used();
    const dispatch = probe.dispatchLatencies(names);
    const completion = probe.completionLatencies(names);
    const perJob = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).map(([key, count]) => [key, count / options.jobs]));
    return {
      workers: options.workers,
      jobsPerMinute: (options.jobs * 60_000) / spanMs,
      dispatchP50: percentile(dispatch, 50),
      dispatchP99: percentile(dispatch, 99),
      completionP50: percentile(completion, 50),
      completionP99: percentile(completion, 99),
      kube: perJob(countBy(sim.requests.slice(kubeBefore), (r) => `${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''}`)),
      s3: perJob(countBy((await s3.requestLog()).slice(s3Before), s3Kind)),
      messages: perJob({ 'work request': options.jobs, 'result events': probe.events - eventsBefore, replies: probe.replyCount - options.warmupJobs }),
      cpuMsPerJob: perJob(cpuUsed),
      workerCpuMsPerJob: workersCpuMs(cpuUsed) / options.jobs,
      coldWorkerCpuMsPerJob,
      benchmarkProcessBusy: cpuUsed[BENCHMARK_PROCESS] / spanMs,
      s3ServerBusy: cpuUsed[S3_SERVER] / spanMs,
    };
  } finally {
    probe.stop();
    await stopSystem(system, settings);
  }
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** `PUT /<bucket>/<key>` → what it is in the store's layout: record, index marker, log; and multi-object deletes. */
function s3Kind(request: string): string {
  const [method, target] = request.split(' ');
  const [path, query = ''] = target.split('?');
  // DeleteObjects names its keys in the body, so only its kind shows: `POST /<bucket>?delete`.
  if (method === 'POST' && new URLSearchParams(query).has('delete')) return 'POST delete (DeleteObjects, batched)';
  const key = path.split('/').slice(2).join('/');
  const what = key.startsWith('jobs/') ? 'record' : key.startsWith('index/') ? 'index marker' : key ? 'log' : 'bucket';
  return `${method} ${what}`;
}
