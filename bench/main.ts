/**
 * `npm run bench`: the system against its own ceilings, in one run. Starts what it needs (RabbitMQ must run at
 * AMQP_URL; the S3 test server, the Kubernetes simulator and the apps from `dist/` are started here), measures,
 * and prints one table: every figure is the median of its rounds with their range, beside the baseline measured
 * in the same run and the ratio of the two.
 *
 *   npm run bench [-- --quick] [-- --only submit,latency,throughput,scale,listing,log] [-- --profile DIR]
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { AMQP_URL } from '../test/support/system.js';
import { redactUrls, shownUrl } from '../tools/local-stack/broker.js';
import { benchBigLog } from './big-log.js';
import { BENCHMARK_PROCESS, type BenchSettings } from './harness.js';
import { benchLatency, dispatchFloor } from './latency.js';
import { benchRecordListing, formatRecordListing } from './record-listing.js';
import { benchScale, kibPerJob } from './scale.js';
import { median, percentile, spread } from './stats.js';
import { benchSubmit, SUBMIT_CONCURRENCY } from './submit.js';
import { benchThroughput, type ThroughputRun } from './throughput.js';

const SECTIONS = ['submit', 'latency', 'throughput', 'scale', 'listing', 'log'] as const;
/** Jobs in flight per worker (its prefetch) for the latency and throughput runs: the worker's default. */
const CONCURRENCY = 10;

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, profile: { type: 'string' } },
});
const settings: BenchSettings = { quick: args.quick, profileDir: args.profile };
const only = new Set(args.only ? args.only.split(',') : SECTIONS);
const plan = args.quick
  ? {
      submit: { rounds: 1, seconds: 2, baselineSeconds: 1 },
      latencyRounds: 2,
      latencyJobs: 5,
      throughputRounds: 1,
      throughputJobs: 50,
      throughputWarmupJobs: 50,
      scaleLevels: [0, 10, 30],
      scaleWindows: 2,
      windowMs: 500,
      records: 200,
      listingRounds: 5,
      logMegabytes: 20,
    }
  : {
      submit: { rounds: 3, seconds: 5, baselineSeconds: 3 },
      latencyRounds: 3,
      latencyJobs: 30,
      throughputRounds: 3,
      throughputJobs: 2000,
      throughputWarmupJobs: 2000,
      scaleLevels: [0, 100, 1000],
      scaleWindows: 3,
      windowMs: 2000,
      records: 10_000,
      listingRounds: 20,
      logMegabytes: 200,
    };

// The S3 test server keeps its objects under the temporary directory: on tmpfs its writes cost no disk I/O.
if (existsSync('/dev/shm')) process.env.TMPDIR = '/dev/shm';

interface Row {
  figure: string;
  value: string;
  baseline?: string;
  ratio?: string;
}
const rows: Row[] = [];
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const ms = (value: number) => value.toFixed(value < 10 ? 1 : 0);

printMachine();
await amqp.connect(AMQP_URL).then(
  (connection) => connection.close(),
  (error: unknown) => {
    console.error(`RabbitMQ is not reachable at ${shownUrl(AMQP_URL)} (${redactUrls(String(error))}); start it (rabbitmq-server -detached), or set AMQP_URL.`);
    process.exit(1);
  },
);

if (only.has('submit')) {
  const rounds = await benchSubmit(settings, plan.submit, (r) =>
    log(
      `submit: POST /jobs ${r.submit.perSecond.toFixed(0)}/s (p50 ${ms(r.submit.p50Ms)} ms, p99 ${ms(r.submit.p99Ms)} ms, ${r.submit.failed} failed); ` +
        `AMQP confirmed publishes ${r.amqp.perSecond.toFixed(0)}/s (p50 ${ms(r.amqp.p50Ms)} ms); S3 puts ${r.s3.perSecond.toFixed(0)}/s (p50 ${ms(r.s3.p50Ms)} ms); ${r.s3PerSubmit.toFixed(2)} S3 requests per submission`,
    ),
  );
  const slower = rounds.map((r) => Math.min(r.amqp.perSecond, r.s3.perSecond));
  rows.push(
    {
      figure: `1 submit: POST /jobs per second, ${SUBMIT_CONCURRENCY} connections`,
      value: spread(rounds.map((r) => r.submit.perSecond)),
      baseline: `${spread(slower)} (slower of the two below)`,
      ratio: spread(rounds.map((r, i) => r.submit.perSecond / slower[i]), 2),
    },
    { figure: '  POST /jobs latency p50 / p99 (ms)', value: `${spread(rounds.map((r) => r.submit.p50Ms))} / ${spread(rounds.map((r) => r.submit.p99Ms))}` },
    {
      figure: '  baseline: AMQP persistent publishes with confirms, per second; p50 / p99 (ms)',
      value: `${spread(rounds.map((r) => r.amqp.perSecond))}; ${spread(rounds.map((r) => r.amqp.p50Ms), 1)} / ${spread(rounds.map((r) => r.amqp.p99Ms), 1)}`,
    },
    {
      figure: `  baseline: S3 puts of ${rounds[0].recordBytes} bytes (a record), per second; p50 / p99 (ms)`,
      value: `${spread(rounds.map((r) => r.s3.perSecond))}; ${spread(rounds.map((r) => r.s3.p50Ms), 1)} / ${spread(rounds.map((r) => r.s3.p99Ms), 1)}`,
    },
    { figure: '  S3 requests per submission', value: spread(rounds.map((r) => r.s3PerSubmit), 1) },
    {
      figure: '  ceiling set by the S3 test server: S3 puts per second ÷ S3 requests per submission',
      value: spread(rounds.map((r) => r.s3.perSecond / r.s3PerSubmit)),
      ratio: `${spread(rounds.map((r) => r.submit.perSecond / (r.s3.perSecond / r.s3PerSubmit)), 2)} (POST /jobs ÷ ceiling)`,
    },
  );
}

if (only.has('latency')) {
  const rounds = await benchLatency(settings, CONCURRENCY, plan.latencyRounds, plan.latencyJobs, (r) =>
    log(
      `latency, one Job at a time: dispatch p50 ${ms(median(r.dispatch))} ms, p99 ${ms(percentile(r.dispatch, 99))} ms (floor: hop ${ms(median(r.hop))} + create ${ms(median(r.create))} ms); ` +
        `completion p50 ${ms(median(r.completion))} ms, p99 ${ms(percentile(r.completion, 99))} ms (floor ${ms(median(r.completionFloor))} ms)`,
    ),
  );
  rows.push(
    {
      figure: '2 dispatch, one Job at a time: publish → Job created, p50 / p99 (ms)',
      value: `${spread(rounds.map((r) => median(r.dispatch)))} / ${spread(rounds.map((r) => percentile(r.dispatch, 99)))}`,
      baseline: `${spread(rounds.map(dispatchFloor), 1)} (RabbitMQ hop + Job create, p50s)`,
      ratio: spread(rounds.map((r) => median(r.dispatch) / dispatchFloor(r)), 1),
    },
    {
      figure: '3 completion, one Job at a time: pod ended → reply, p50 / p99 (ms)',
      value: `${spread(rounds.map((r) => median(r.completion)))} / ${spread(rounds.map((r) => percentile(r.completion, 99)))}`,
      baseline: `${spread(rounds.map((r) => median(r.completionFloor)), 1)} (log read + log put + record put + reply, p50)`,
      ratio: spread(rounds.map((r) => median(r.completion) / median(r.completionFloor)), 1),
    },
  );
}

if (only.has('throughput')) {
  const runs: ThroughputRun[] = [];
  for (let round = 0; round < plan.throughputRounds; round++) {
    for (const workers of [1, 2]) {
      const run = await benchThroughput(settings, { jobs: plan.throughputJobs, warmupJobs: plan.throughputWarmupJobs, workers, concurrency: CONCURRENCY });
      log(
        `throughput, ${plan.throughputJobs} Jobs, ${workers} worker(s): ${run.jobsPerMinute.toFixed(0)} Jobs/min; simulator alone at concurrency ${CONCURRENCY * workers}: ${run.simJobsPerMinute.toFixed(0)} Jobs/min; ` +
          `dispatch p50 ${(run.dispatchP50 / 1000).toFixed(1)} s, p99 ${(run.dispatchP99 / 1000).toFixed(1)} s; completion p50 ${ms(run.completionP50)} ms, p99 ${ms(run.completionP99)} ms; ` +
          `benchmark process busy ${(run.benchmarkProcessBusy * 100).toFixed(0)}%, S3 server ${(run.s3ServerBusy * 100).toFixed(0)}%; CPU ms per Job ${format(run.cpuMsPerJob, 1)}; ` +
          `workers' CPU ms per Job over the ${plan.throughputWarmupJobs} warm-up Jobs before ${ms(run.coldWorkerCpuMsPerJob)}`,
      );
      runs.push(run);
    }
  }
  throughputRows(runs);
}

if (only.has('scale')) {
  const levels = await benchScale(settings, plan.scaleLevels, plan.scaleWindows, plan.windowMs);
  const [idle, ...loaded] = levels;
  for (const level of levels) {
    log(
      `scale, ${level.jobs} Jobs in flight: resident ${level.residentMb.map((mb) => mb.toFixed(0)).join(', ')} MiB; lag p99 ${level.lagP99Ms.map(ms).join(', ')} ms; ` +
        `ramp ${level.rampSeconds.toFixed(1)} s (lag p99 ${ms(level.rampLagP99Ms)} ms); ${level.watches} watch; API requests while running: ${level.requestsWhileRunning.join(', ') || 'none'}; ` +
        `watch restarts so far ${JSON.stringify(level.watchRestarts)}`,
    );
  }
  rows.push({ figure: `6 scale: worker resident memory, idle (MiB)`, value: spread(idle.residentMb) });
  for (const level of loaded) {
    rows.push(
      {
        figure: `  resident memory with ${level.jobs} Jobs in flight (MiB)`,
        value: spread(level.residentMb),
        baseline: `${median(idle.residentMb).toFixed(0)} (idle)`,
        ratio: `${(median(level.residentMb) / median(idle.residentMb)).toFixed(2)}; ${kibPerJob(level, idle).toFixed(0)} KiB per Job`,
      },
      {
        figure: `  event-loop lag p99 with ${level.jobs} Jobs in flight (ms)`,
        value: spread(level.lagP99Ms, 1),
        baseline: `${spread(idle.lagP99Ms, 1)} (idle)`,
        ratio: (median(level.lagP99Ms) / median(idle.lagP99Ms)).toFixed(2),
      },
      {
        figure: `  starting ${level.jobs - (levels[levels.indexOf(level) - 1]?.jobs ?? 0)} Jobs: time (s), event-loop lag p99 meanwhile (ms)`,
        value: `${level.rampSeconds.toFixed(1)}, ${ms(level.rampLagP99Ms)}`,
      },
      {
        figure: `  watch connections; watch restarts since the worker started; API requests in ${plan.scaleWindows} × ${plan.windowMs / 1000} s, ${level.jobs} Jobs running`,
        value: [
          level.watches,
          Object.values(level.watchRestarts).reduce((sum, count) => sum + count, 0) + (Object.keys(level.watchRestarts).length ? ` (${format(level.watchRestarts, 0)})` : ''),
          level.requestsWhileRunning.length + (level.requestsWhileRunning.length ? ` (${level.requestsWhileRunning.join(', ')})` : ''),
        ].join('; '),
      },
    );
  }
}

if (only.has('listing')) {
  const result = await benchRecordListing({ records: plan.records, rounds: plan.listingRounds, page: 20 });
  log(`record listing: ${plan.records} records written in ${result.fillSeconds.toFixed(1)} s`);
  const [first, ...rest] = formatRecordListing(result);
  rows.push({ figure: `7 (issue 4) ${first[0]}`, value: first[1] }, ...rest.map(([figure, value]) => ({ figure, value })));
}

if (only.has('log')) {
  const result = await benchBigLog(settings, plan.logMegabytes);
  log(`big log: ${result.megabytes} MB log stored (${result.storedBytes} bytes) in ${result.seconds.toFixed(1)} s; worker peak resident ${result.idlePeakMb.toFixed(0)} MiB before, ${result.peakMb.toFixed(0)} MiB after`);
  rows.push({
    figure: `8 (issue 10) worker peak resident memory storing one Job's ${result.megabytes} MB log (MiB)`,
    value: result.peakMb.toFixed(0),
    baseline: `${result.idlePeakMb.toFixed(0)} (peak before the Job)`,
    ratio: `${(result.peakMb - result.idlePeakMb).toFixed(0)} MiB more; stored ${(result.storedBytes / 2 ** 20).toFixed(0)} MiB in ${result.seconds.toFixed(1)} s`,
  });
}

printTable();

function throughputRows(runs: ThroughputRun[]): void {
  const of = (workers: number) => runs.filter((run) => run.workers === workers);
  for (const workers of [1, 2]) {
    const these = of(workers);
    rows.push({
      figure: `4 throughput, ${plan.throughputJobs} Jobs, ${workers} worker${workers > 1 ? 's' : ''} (Jobs per minute)`,
      value: spread(these.map((run) => run.jobsPerMinute)),
      baseline: `${spread(these.map((run) => run.simJobsPerMinute))} (simulator alone, concurrency ${CONCURRENCY * workers})`,
      ratio: spread(these.map((run) => run.jobsPerMinute / run.simJobsPerMinute), 3),
    });
  }
  const [one, two] = [of(1), of(2)];
  rows.push(
    { figure: '  two workers ÷ one', value: spread(two.map((run, i) => run.jobsPerMinute / one[i].jobsPerMinute), 2) },
    {
      figure: `2 dispatch under a backlog of ${plan.throughputJobs}, 1 worker: publish → Job created, p50 / p99 (s)`,
      value: `${spread(one.map((run) => run.dispatchP50 / 1000), 1)} / ${spread(one.map((run) => run.dispatchP99 / 1000), 1)}`,
      baseline: `${spread(one.map((run) => (plan.throughputJobs / run.jobsPerMinute) * 60), 1)} (backlog ÷ throughput)`,
    },
    {
      figure: `3 completion under that backlog, 1 worker: pod ended → reply, p50 / p99 (ms)`,
      value: `${spread(one.map((run) => run.completionP50))} / ${spread(one.map((run) => run.completionP99))}`,
    },
    { figure: '  benchmark process (simulator) busy, 1 worker / 2 workers (% of a core)', value: `${spread(one.map((run) => run.benchmarkProcessBusy * 100))} / ${spread(two.map((run) => run.benchmarkProcessBusy * 100))}` },
    { figure: '  S3 server process busy, 1 worker / 2 workers (% of a core)', value: `${spread(one.map((run) => run.s3ServerBusy * 100))} / ${spread(two.map((run) => run.s3ServerBusy * 100))}` },
    {
      figure: '  benchmark process CPU per Job, 1 worker (ms); baseline: the simulator and its client alone',
      value: spread(one.map((run) => run.cpuMsPerJob[BENCHMARK_PROCESS]), 1),
      baseline: spread(one.map((run) => run.simCpuMsPerJob), 1),
      ratio: spread(one.map((run) => run.cpuMsPerJob[BENCHMARK_PROCESS] / run.simCpuMsPerJob), 1),
    },
    { figure: '  worker CPU per Job, 1 worker / 2 workers (ms, both workers together)', value: `${spread(one.map((run) => run.workerCpuMsPerJob), 1)} / ${spread(two.map((run) => run.workerCpuMsPerJob), 1)}` },
    {
      figure: `  the same over the ${plan.throughputWarmupJobs} warm-up Jobs run first by fresh workers (ms; V8 still compiling)`,
      value: `${spread(one.map((run) => run.coldWorkerCpuMsPerJob), 1)} / ${spread(two.map((run) => run.coldWorkerCpuMsPerJob), 1)}`,
    },
  );
  for (const [figure, these, pick] of [
    ['5 cost per Job: Kubernetes API requests', one, (run: ThroughputRun) => run.kube],
    ['  S3 requests', one, (run: ThroughputRun) => run.s3],
    ['  RabbitMQ messages', one, (run: ThroughputRun) => run.messages],
    ['  CPU ms, 1 worker', one, (run: ThroughputRun) => run.cpuMsPerJob],
    ['  CPU ms, 2 workers', two, (run: ThroughputRun) => run.cpuMsPerJob],
  ] as const) {
    const perJob = medianOfKeys(these.map(pick));
    const total = Object.values(perJob).reduce((sum, count) => sum + count, 0);
    rows.push({ figure, value: `${total.toFixed(figure.includes('CPU') ? 1 : 2)}: ${format(perJob, figure.includes('CPU') ? 1 : 2)}` });
  }
}

/** Per key, the median over runs. */
function medianOfKeys(records: Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(records.flatMap((record) => Object.keys(record)))];
  return Object.fromEntries(keys.map((key) => [key, median(records.map((record) => record[key] ?? 0))]));
}

function format(counts: Record<string, number>, digits: number): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([key, count]) => `${key} ${count.toFixed(digits)}`)
    .join(', ');
}

function printMachine(): void {
  // Read from the files: some packages do not export their package.json.
  const version = (name: string) => (JSON.parse(readFileSync(new URL(`../${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
  const project = { version: version('.') };
  console.log(`cloud-worker ${project.version} benchmark${args.quick ? ' (quick)' : ''}, ${new Date().toISOString()}`);
  console.log(
    `machine: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ` +
      `Node ${process.version}; ${['@nestjs/core', '@kubernetes/client-node', 'amqplib', 'minio', 's3rver', 'autocannon'].map((name) => `${name} ${version(`node_modules/${name}`)}`).join(', ')}`,
  );
}

function printTable(): void {
  console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  console.log('| figure | median (min–max) | baseline, same run | ratio |');
  console.log('| --- | --- | --- | --- |');
  for (const row of rows) console.log(`| ${row.figure} | ${row.value} | ${row.baseline ?? ''} | ${row.ratio ?? ''} |`);
}
