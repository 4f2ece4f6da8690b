/**
 * Measurement 6, scale: one worker holding many long-running Jobs at once (prefetch as large as the largest
 * level). At each level, once every Job runs, its resident memory and event-loop lag p99 (from its own
 * `/metrics`, over several windows), the watch connections open on the simulator and the API requests it makes
 * while nothing changes. The baseline is the same worker idle, in the same run.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sample } from '../test/support/prometheus.js';
import { eventually, NAMESPACE } from '../test/support/system.js';
import { startSystem, stopSystem, type BenchSettings, type BenchSystem } from './harness.js';
import { median } from './stats.js';

/** How long a level may take to be reached. */
const WAIT_MS = 5 * 60_000;
/** How often it is checked: no faster, as checking the Jobs in flight scrapes the measured worker's `/metrics`. */
const POLL_MS = 250;

export interface ScaleLevel {
  jobs: number;
  /** Per window. */
  residentMb: number[];
  lagP99Ms: number[];
  /** All the Jobs started, seconds; and the event-loop lag p99 over that time. */
  rampSeconds: number;
  rampLagP99Ms: number;
  watches: number;
  /** Kubernetes API requests over the windows, with every Job running, as `verb resource`. */
  requestsWhileRunning: string[];
  /** The pod watch's restarts since the worker started, by reason (a server-ended watch is resumed: `closed`). */
  watchRestarts: Record<string, number>;
}

export async function benchScale(settings: BenchSettings, levels: number[], windows: number, windowMs: number): Promise<ScaleLevel[]> {
  const system = await startSystem(settings, { workers: 1, concurrency: Math.max(...levels) });
  try {
    const metricsUrl = `${await system.workers[0].whenListening()}/metrics`;
    const results: ScaleLevel[] = [];
    let running = 0;
    for (const jobs of levels) {
      await scrape(metricsUrl);
      const rampStarted = Date.now();
      for (; running < jobs; running++) {
        system.publishWork({ id: randomUUID(), image: 'bench/long', jobName: 'bench', inputBucket: 'bench-logs' });
      }
      await eventually(() => runningPods(system) >= jobs, WAIT_MS, `${jobs} running pods`, POLL_MS);
      // The first scrape after the ramp: the lag histogram covers exactly the ramp.
      const rampLagP99Ms = (await scrape(metricsUrl)).lagP99Ms;
      const rampSeconds = (Date.now() - rampStarted) / 1000;
      await eventually(async () => (await scrape(metricsUrl)).inFlight === jobs, WAIT_MS, `${jobs} Jobs in flight`, POLL_MS);
      const requestsBefore = system.sim.requests.length;
      const level: ScaleLevel = { jobs, residentMb: [], lagP99Ms: [], rampSeconds, rampLagP99Ms, watches: 0, requestsWhileRunning: [], watchRestarts: {} };
      await scrape(metricsUrl);
      for (let window = 0; window < windows; window++) {
        await sleep(windowMs);
        const sample = await scrape(metricsUrl);
        level.residentMb.push(sample.residentMb);
        level.lagP99Ms.push(sample.lagP99Ms);
        level.watchRestarts = sample.watchRestarts;
      }
      level.requestsWhileRunning = system.sim.requests.slice(requestsBefore).map((request) => `${request.verb} ${request.resource ?? request.path}`);
      level.watches = system.sim.openWatchCount();
      if (level.watches !== 1 || system.sim.openWatchCount('pods') !== 1) {
        throw new Error(`the worker holds ${system.sim.openWatchCount('pods')} pod watches (${level.watches} watches in all) with ${jobs} Jobs in flight; it must hold one`);
      }
      results.push(level);
    }
    return results;
  } finally {
    await stopSystem(system, settings);
  }
}

function runningPods(system: BenchSystem): number {
  return system.sim.list<{ status?: { phase?: string } }>('pods', NAMESPACE).filter((pod) => pod.status?.phase === 'Running').length;
}

/** One scrape of the worker's metrics; prom-client restarts its event-loop lag histogram at each. */
async function scrape(url: string): Promise<{ residentMb: number; lagP99Ms: number; inFlight: number; watchRestarts: Record<string, number> }> {
  const text = await (await fetch(url)).text();
  const watchRestarts: Record<string, number> = {};
  for (const [, reason, count] of text.matchAll(/^cloud_worker_watch_restarts_total\{reason="(\w+)"\} (\d+)/gm)) watchRestarts[reason] = Number(count);
  const value = (name: string) => {
    const found = sample(text, name);
    if (found === undefined) throw new Error(`metric ${name} missing`);
    return found;
  };
  return {
    residentMb: value('cloud_worker_process_resident_memory_bytes') / 2 ** 20,
    lagP99Ms: value('cloud_worker_nodejs_eventloop_lag_p99_seconds') * 1000,
    inFlight: value('cloud_worker_jobs_in_flight'),
    watchRestarts,
  };
}

/** Resident memory each Job adds, KiB: the median of the windows at a level against the idle worker's. */
export function kibPerJob(level: ScaleLevel, idle: ScaleLevel): number {
  return ((median(level.residentMb) - median(idle.residentMb)) * 1024) / level.jobs;
}
