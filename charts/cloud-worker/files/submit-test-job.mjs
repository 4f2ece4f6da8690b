// `helm test`: submits one work request through the api and waits until its Job has succeeded.
// Run by node in the cloud-worker image (no shell there); scripts/check-production-build.ts runs it too.
const api = requiredEnv('API_URL');
const image = requiredEnv('JOB_IMAGE');
const deadline = Date.now() + Number(process.env.TIMEOUT_SECONDS ?? 300) * 1000;
const TERMINAL = ['succeeded', 'failed', 'timed_out', 'cancelled'];
// The chart gives the test pod a token with the roles submit and read (API_TOKEN, from its Secret).
const authorization = process.env.API_TOKEN ? { authorization: `Bearer ${process.env.API_TOKEN}` } : {};

const request = { image, jobName: 'helm-test', inputBucket: 'helm-test' };
let record = await untilDeadline('submit', async () => {
  const response = await fetch(`${api}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', ...authorization }, body: JSON.stringify(request) });
  // 503: the api is up but RabbitMQ or S3 is not yet; try again.
  if (response.status === 503) return undefined;
  if (response.status !== 202) fail(`POST /jobs answered ${response.status}: ${await response.text()}`);
  return response.json();
});
console.log(`submitted ${record.id}: Job ${record.jobName} (${image})`);

record = await untilDeadline(`Job ${record.jobName}`, async () => {
  const response = await fetch(`${api}/jobs/${record.id}`, { headers: authorization });
  if (!response.ok) fail(`GET /jobs/${record.id} answered ${response.status}: ${await response.text()}`);
  const current = await response.json();
  return TERMINAL.includes(current.status) ? current : undefined;
});
if (record.status !== 'succeeded') fail(`Job ${record.jobName} ended ${record.status}: ${record.reason}`);

const log = await fetch(`${api}/jobs/${record.id}/log`, { headers: authorization });
if (!log.ok) fail(`GET /jobs/${record.id}/log answered ${log.status}`);
console.log(`Job ${record.jobName} succeeded; its log, s3://${record.outputBucket}/${record.logObject}:\n${await log.text()}`);

/** Calls `attempt` every 2 s until it returns a value; connection errors count as "not yet". */
async function untilDeadline(what, attempt) {
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
      last = 'not finished';
    } catch (error) {
      last = error instanceof Error ? (error.cause?.message ?? error.message) : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  fail(`${what}: gave up at the deadline (last: ${last})`);
}

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) fail(`${name} is not set`);
  return value;
}

function fail(message) {
  console.error(`FAILED: ${message}`);
  process.exit(1);
}
