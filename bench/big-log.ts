/**
 * Memory for a big log: one Job writing `megabytes` of log, run to its end by one worker, and the worker's peak
 * resident memory (VmHWM in /proc, the high-water mark over its whole life) before the Job and after it. The
 * simulator keeps the container log in the benchmark process, so only the worker is measured.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { eventually, TestSystem } from '../test/support/system.js';
import type { BenchSettings } from './harness.js';

export interface BigLogResult {
  megabytes: number;
  idlePeakMb: number;
  peakMb: number;
  storedBytes: number;
  seconds: number;
}

export async function benchBigLog(settings: BenchSettings, megabytes: number): Promise<BigLogResult> {
  const system = await TestSystem.start({
    s3Process: true,
    api: false,
    env: { LOG_LEVEL: 'info', LOG_LIMIT_BYTES: String(1024 * 1024 * 1024) },
    sim: { images: { 'bench/log-flood': { inProcess: 'log-flood', env: { LOG_MB: String(megabytes) } } } },
  });
  try {
    const worker = system.workers[0];
    const idlePeakMb = peakResidentMb(worker.pid);
    const { queue, replies } = await system.replyQueue();
    const id = randomUUID();
    const started = Date.now();
    system.publishWork({ id, image: 'bench/log-flood', jobName: 'big-log', inputBucket: 'big.logs' }, { replyTo: queue, correlationId: id });
    const reply = await eventually(() => replies.find((r) => r.correlationId === id), (settings.quick ? 60 : 600) * 1000, 'the reply', 250);
    const seconds = (Date.now() - started) / 1000;
    const stat = await system.s3Client.statObject('big.logs', String(reply.body.logObject));
    return { megabytes, idlePeakMb, peakMb: peakResidentMb(worker.pid), storedBytes: stat.size, seconds };
  } finally {
    await system.stop();
  }
}

/** The process's peak resident set size so far (MiB). */
function peakResidentMb(pid: number): number {
  const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) / 1024;
}
