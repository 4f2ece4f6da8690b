/**
 * Measurement 1, the submit path: `POST /jobs` driven by autocannon against the api (no worker, so the requests
 * stay queued), and in the same round the two things a submission cannot do without, each at the same
 * concurrency: persistent publishes with publisher confirms (raw amqplib) and S3 puts of an object of the
 * record's size. A submission writes the record (with its two index markers) and publishes twice (the queued
 * event, then the work request), each confirmed.
 */
import { AMQP_URL, TEST_ADMIN_TOKEN } from '../test/support/system.js';
import { startSystem, stopSystem, storageOptions, type BenchSettings } from './harness.js';
import { runLoads, type LoadResult } from './load.js';

export interface SubmitRound {
  submit: LoadResult;
  amqp: LoadResult;
  s3: LoadResult;
  /** S3 requests per accepted submission. */
  s3PerSubmit: number;
  recordBytes: number;
}

export const SUBMIT_CONCURRENCY = 16;
const WORK_REQUEST = JSON.stringify({ image: 'bench/exit', jobName: 'bench', inputBucket: 'bench-logs' });

export async function benchSubmit(
  settings: BenchSettings,
  plan: { rounds: number; seconds: number; baselineSeconds: number },
  onRound: (round: SubmitRound) => void,
): Promise<SubmitRound[]> {
  const system = await startSystem(settings, { workers: 0, api: true, concurrency: 1 });
  try {
    const sample = await fetch(`${system.apiUrl}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}` }, body: WORK_REQUEST });
    if (sample.status !== 202) throw new Error(`POST /jobs answered ${sample.status}: ${await sample.text()}`);
    const record = await sample.text();
    const s3 = system.s3;
    const results: SubmitRound[] = [];
    for (let round = 0; round < plan.rounds; round++) {
      const before = (await s3.requestLog()).length;
      const [submit] = await runLoads([{ kind: 'http', url: `${system.apiUrl}/jobs`, body: WORK_REQUEST, token: TEST_ADMIN_TOKEN, concurrency: SUBMIT_CONCURRENCY, seconds: plan.seconds }]);
      const s3PerSubmit = ((await s3.requestLog()).length - before) / (submit.requests - submit.failed);
      const [amqp, put] = await runLoads([
        { kind: 'amqp', url: AMQP_URL, queue: `${system.names.workQueue}.baseline`, body: WORK_REQUEST, concurrency: SUBMIT_CONCURRENCY, seconds: plan.baselineSeconds },
        { kind: 's3', storage: storageOptions(s3), bucket: 'bench-baseline', body: record, concurrency: SUBMIT_CONCURRENCY, seconds: plan.baselineSeconds },
      ]);
      const result = { submit, amqp, s3: put, s3PerSubmit, recordBytes: Buffer.byteLength(record) };
      onRound(result);
      results.push(result);
    }
    return results;
  } finally {
    await stopSystem(system, settings);
  }
}
