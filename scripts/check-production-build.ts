// The image build, checked where no Docker engine runs (`.ci/run` calls this):
//   npx tsx scripts/check-production-build.ts
// It replays the Dockerfile's build stage in a clean copy of the repository (npm ci, build, prune), lays out the
// final stage's files, starts both apps from there with the image's entrypoint, and checks them through their
// health endpoints against RabbitMQ (AMQP_URL), the S3 test server and the Kubernetes simulator. Then it runs
// the chart's `helm test` script against them: one work request, through the api, to a succeeded Job.
// The apps run on this machine's Node, not the image's. KEEP_BUILD_CHECK=1 keeps the temporary directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { authEnv, connectionEnv, TEST_ADMIN_TOKEN, TestSystem } from '../test/support/system.js';
import { parseDockerfile, replayStages, type ReplayedStage } from './check-production-build-dockerfile.js';

const ROOT = resolve(import.meta.dirname, '..');
const HELM_TEST_SCRIPT = join(ROOT, 'charts/cloud-worker/files/submit-test-job.mjs');
const STARTUP_TIMEOUT_MS = 60_000;

interface RunningApp {
  name: string;
  url: string;
  child: ChildProcess;
  output: string[];
}

const workDir = mkdtempSync(join(tmpdir(), 'cloud-worker-build-check-'));
const step = (text: string) => console.log(`\n== ${text}`);
const cleanups: Array<() => Promise<unknown>> = [];
let apps: RunningApp[] = [];

try {
  step(`replaying the Dockerfile in ${workDir}`);
  const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const replayed = replayStages(stages, { context: ROOT, into: workDir, log: (text) => process.stdout.write(text) });
  const image = replayed.at(-1)!;

  // The end-to-end tests' dependencies, on RabbitMQ names of their own: the S3 test server, the Kubernetes
  // simulator with the Secret the Jobs read, a connection to RabbitMQ; no apps (they come from the replay).
  step('starting the S3 test server and the Kubernetes simulator');
  const system = await TestSystem.start({ workers: 0, api: false });
  cleanups.push(() => system.stop());
  // Only what connects the apps, and the api's token list: they run on the image's own defaults otherwise.
  const env = { ...connectionEnv(system.names, system.s3, system.sim), ...authEnv() };

  step(`starting both apps as the image does: ${[...image.entrypoint, '<app>'].join(' ')} (Node ${process.version} here)`);
  apps = await Promise.all(['api', 'cloud-worker'].map((name) => startApp(image, name, env)));
  for (const app of apps) await expectStatus(app, '/health/live', 200);
  for (const app of apps) await expectStatus(app, '/health/ready', 200);
  await expectStatus(apps[0], '/docs/openapi.json', 200);
  // The image ships the dashboard the api serves at / (dist/dashboard, apps/api/src/dashboard.ts).
  for (const path of ['/', '/app.js', '/app.css']) await expectStatus(apps[0], path, 200);

  step("running the chart's helm test script against them");
  await runHelmTestScript(apps[0].url);

  step('stopping the apps: each must exit 0 on SIGTERM');
  for (const app of apps) {
    app.child.kill('SIGTERM');
    const [code] = (await once(app.child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`${app.name} exited ${code} after SIGTERM`);
  }
  console.log('\nproduction build check passed');
} catch (error) {
  for (const app of apps) console.error(`\n-- ${app.name} output (last lines):\n${app.output.slice(-40).join('')}`);
  console.error(`\nproduction build check FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  for (const app of apps) if (app.child.exitCode === null) app.child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
  if (process.env.KEEP_BUILD_CHECK) console.log(`kept ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
}

async function startApp(image: ReplayedStage, name: string, env: Record<string, string>): Promise<RunningApp> {
  if (image.user === undefined || /^(0|root)(:|$)/.test(image.user)) throw new Error(`the image must run as a non-root USER (has ${image.user})`);
  const port = await freePort();
  const [command, ...args] = [...image.entrypoint, name];
  const child = spawn(command, args, {
    cwd: join(image.root, posix.resolve('/', image.workdir)),
    env: { PATH: process.env.PATH, ...image.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return { name, url: `http://127.0.0.1:${port}`, child, output };
}

/** Polls an endpoint until it answers `status`, or fails with the last answer. */
async function expectStatus(app: RunningApp, path: string, status: number): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null) throw new Error(`${app.name} exited ${app.child.exitCode}`);
    try {
      const response = await fetch(`${app.url}${path}`, { signal: AbortSignal.timeout(5000) });
      if (response.status === status) {
        console.log(`${app.name} ${path}: ${status}`);
        return;
      }
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new Error(`${app.name} ${path} did not answer ${status} within ${STARTUP_TIMEOUT_MS / 1000} s (last: ${last})`);
}

async function runHelmTestScript(apiUrl: string): Promise<void> {
  // mstc/python-test is in the simulator's image catalogue; in a cluster the chart uses tests.jobImage.
  const child = spawn(process.execPath, [HELM_TEST_SCRIPT], {
    env: { PATH: process.env.PATH, API_URL: apiUrl, API_TOKEN: TEST_ADMIN_TOKEN, JOB_IMAGE: 'mstc/python-test', TIMEOUT_SECONDS: '120' },
    stdio: 'inherit',
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the helm test script exited ${code}`);
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}
