/**
 * What every measurement of `npm run bench` shares: the system started from the production build on the test
 * harness (`TestSystem`) with the benchmark images, a probe that times each Job from its message to its reply,
 * and CPU accounting per process.
 */
import { uniqueJobName } from '@app/contracts';
import type { ObjectStorageOptions } from '@app/storage';
import { KubeConfig, Watch, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AppProcess } from '../tools/local-stack/app-process.js';
import type { S3Endpoint } from '../tools/s3-server/s3-server.js';
import type { S3ServerProcess } from '../tools/s3-server/server-process.js';
import { TestSystem, NAMESPACE } from '../test/support/system.js';

export interface BenchSettings {
  quick: boolean;
  /** Where the apps write CPU profiles (`--profile DIR`); none when absent. */
  profileDir?: string;
}

/** In-process simulator images: no child process per container, so the simulator's cost per Job stays small. */
export const BENCH_IMAGES = {
  'bench/exit': { inProcess: 'sleep-exit' },
  'bench/long': { inProcess: 'sleep-exit', env: { SLEEP_MS: String(24 * 3600_000) } },
};
export type BenchImage = keyof typeof BENCH_IMAGES;

const PROFILE_PRELOAD = resolve(import.meta.dirname, 'cpu-profile.mjs');

/** The system as the benchmark runs it: the S3 test server in a process of its own, so that each process's CPU time is its own. */
export type BenchSystem = TestSystem<S3ServerProcess>;

/** The system with `workers` workers (and the api when asked), logging at the production default. */
export async function startSystem(settings: BenchSettings, options: { workers: number; api?: boolean; concurrency: number }): Promise<BenchSystem> {
  const system = await TestSystem.start({
    s3Process: true,
    workers: options.workers,
    api: options.api ?? false,
    env: {
      LOG_LEVEL: 'info',
      CONCURRENCY: String(options.concurrency),
      ...(settings.profileDir && { NODE_OPTIONS: `--import ${PROFILE_PRELOAD}`, CPU_PROFILE_DIR: settings.profileDir }),
    },
    sim: { images: BENCH_IMAGES },
  });
  startedSystems.add(system);
  return system;
}

const startedSystems = new Set<BenchSystem>();
// Should the benchmark itself die, the apps it started must not live on as orphans.
process.on('exit', () => {
  for (const system of startedSystems) for (const app of appsOf(system)) void app.kill('SIGKILL');
});

function appsOf(system: BenchSystem): AppProcess[] {
  return [...system.workers, ...(system.api ? [system.api] : [])];
}

/** A Job of one container, run once, with `labels` on the Job and its pod. */
export function oneShotJob(name: string, image: string, labels: Record<string, string>): V1Job {
  return {
    metadata: { name, labels },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image }] },
      },
    },
  };
}

/** A client of the S3 test server, as the apps are configured. */
export function storageOptions(s3: S3Endpoint): ObjectStorageOptions {
  return { endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey, region: 'us-east-1' };
}

/** Stops the system; with profiling, the apps first end gracefully so that they write their profiles. */
export async function stopSystem(system: BenchSystem, settings: BenchSettings): Promise<void> {
  if (settings.profileDir) await Promise.all(appsOf(system).map((app) => app.kill('SIGTERM')));
  await system.stop();
  startedSystems.delete(system);
}

interface TimedJob {
  name: string;
  publishedAt: number;
  createdAt?: number;
  podEndedAt?: number;
  repliedAt?: number;
}

/**
 * Publishes work requests as MSTC clients do (raw JSON, persistent, with `reply_to`) and times each Job: its
 * publish, the Job appearing and its pod ending (through watches of its own on the simulator, which see a change
 * as soon as the worker's watch does), and its reply arriving. Also counts the result events. (The simulator's
 * request log cannot name the Job of a create request: that is a POST to the collection.)
 */
export class JobProbe {
  private readonly jobs = new Map<string, TimedJob>();
  private readonly replyWaiters = new Set<() => void>();
  private replies = 0;
  events = 0;

  private constructor(
    private readonly system: BenchSystem,
    private readonly replyQueue: string,
    private readonly watches: AbortController[],
  ) {}

  static async start(system: BenchSystem): Promise<JobProbe> {
    const { channel, names } = system;
    const { queue: replyQueue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    const { queue: eventQueue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.assertExchange(names.resultsExchange, 'topic', { durable: true });
    await channel.bindQueue(eventQueue, names.resultsExchange, 'job.#');
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(system.sim.kubeconfig);
    const watches: AbortController[] = [];
    const probe = new JobProbe(system, replyQueue, watches);
    const watch = new Watch(kubeConfig);
    watches.push(await watch.watch(`/apis/batch/v1/namespaces/${NAMESPACE}/jobs`, {}, (_type, job: V1Job) => probe.onJob(job), () => undefined));
    watches.push(await watch.watch(`/api/v1/namespaces/${NAMESPACE}/pods`, {}, (_type, pod: V1Pod) => probe.onPod(pod), () => undefined));
    await channel.consume(replyQueue, (message) => message && probe.onReply(message.properties.correlationId as string), { noAck: true });
    await channel.consume(eventQueue, () => probe.events++, { noAck: true });
    return probe;
  }

  /** Publishes `count` requests at once; returns their Job names. */
  publish(count: number, image: BenchImage): string[] {
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      const name = uniqueJobName('bench', id);
      this.jobs.set(name, { name, publishedAt: performance.now() });
      this.system.publishWork({ id, image, jobName: 'bench', inputBucket: 'bench-logs' }, { replyTo: this.replyQueue, correlationId: name });
      names.push(name);
    }
    return names;
  }

  /** Resolves once `count` replies have arrived in all, or rejects after the time-out. */
  async replied(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.replies} of ${count} replies within ${timeoutMs} ms`);
      await new Promise<void>((wake) => {
        this.replyWaiters.add(wake);
        setTimeout(wake, 100);
      });
    }
  }

  get replyCount(): number {
    return this.replies;
  }

  /** Publish → Job created in the simulator, per Job (ms). */
  dispatchLatencies(names: string[]): number[] {
    return names.map((name) => {
      const job = this.jobs.get(name)!;
      if (job.createdAt === undefined) throw new Error(`Job ${name} was never created`);
      return job.createdAt - job.publishedAt;
    });
  }

  /** Pod ended → reply arrived (the reply goes out after the log is stored and the record updated), per Job (ms). */
  completionLatencies(names: string[]): number[] {
    return names.map((name) => {
      const job = this.jobs.get(name)!;
      if (job.podEndedAt === undefined || job.repliedAt === undefined) throw new Error(`Job ${name} has no pod end or no reply`);
      return job.repliedAt - job.podEndedAt;
    });
  }

  /** First publish → last reply of these Jobs (ms). */
  span(names: string[]): number {
    const jobs = names.map((name) => this.jobs.get(name)!);
    return Math.max(...jobs.map((job) => job.repliedAt ?? NaN)) - Math.min(...jobs.map((job) => job.publishedAt));
  }

  stop(): void {
    for (const watch of this.watches) watch.abort();
  }

  private onJob(job: V1Job): void {
    const timed = this.jobs.get(job.metadata?.name ?? '');
    if (timed && timed.createdAt === undefined) timed.createdAt = performance.now();
  }

  private onPod(pod: V1Pod): void {
    const job = this.jobs.get(pod.metadata?.labels?.['job-name'] ?? '');
    if (job && job.podEndedAt === undefined && (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed')) job.podEndedAt = performance.now();
  }

  private onReply(name: string): void {
    const job = this.jobs.get(name);
    if (!job || job.repliedAt !== undefined) return;
    job.repliedAt = performance.now();
    this.replies++;
    for (const wake of this.replyWaiters) wake();
    this.replyWaiters.clear();
  }
}

/** This process (the simulator and the probe), as `CpuMeter` names it. */
export const BENCHMARK_PROCESS = 'benchmark process';

/** CPU time (ms) of this process and of others by pid, from /proc. */
export class CpuMeter {
  private readonly start: Map<string, number>;

  constructor(private readonly processes: Record<string, number>) {
    this.start = this.read();
  }

  /** CPU ms each process used since the meter started. */
  used(): Record<string, number> {
    const now = this.read();
    return Object.fromEntries([...now].map(([name, ms]) => [name, ms - (this.start.get(name) ?? 0)]));
  }

  private read(): Map<string, number> {
    const { user, system } = process.cpuUsage();
    const times = new Map([[BENCHMARK_PROCESS, (user + system) / 1000]]);
    for (const [name, pid] of Object.entries(this.processes)) times.set(name, processCpuMs(pid));
    return times;
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

function processCpuMs(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat (utime, stime), counted after the command name, which may hold spaces.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** RabbitMQ's Erlang VM, when it runs on this machine (it is not ours to stop; only its CPU time is read). */
export function rabbitPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'beam.smp') return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}
