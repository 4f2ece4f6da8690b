// `npm run dev`: the whole system on one machine, on embedded defaults: the S3 test server, the Kubernetes
// simulator, the api and a worker (as built for production), against the RabbitMQ at AMQP_URL.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { startKubeSim } from '../tools/kube-sim/index.js';
import { AppProcess } from '../tools/local-stack/app-process.js';
import { startS3Server } from '../tools/s3-server/s3-server.js';
import { createS3Secret, S3_SECRET } from '../tools/local-stack/s3-secret.js';

const root = resolve(import.meta.dirname, '..');
const local = resolve(root, '.local');
const settings = {
  amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@localhost:5672',
  apiPort: Number(process.env.API_PORT ?? 3000),
  workerPort: Number(process.env.WORKER_PORT ?? 3001),
  s3Port: Number(process.env.S3_PORT ?? 9000),
  s3AccessKey: process.env.S3_ACCESS_KEY ?? 'minioadmin',
  s3SecretKey: process.env.S3_SECRET_KEY ?? 'minioadmin',
  kubePort: Number(process.env.KUBE_SIM_PORT ?? 6443),
};

await mkdir(resolve(local, 's3'), { recursive: true });
const s3 = await startS3Server({ port: settings.s3Port, host: '127.0.0.1', directory: resolve(local, 's3'), accessKey: settings.s3AccessKey, secretKey: settings.s3SecretKey });
const sim = await startKubeSim({ port: settings.kubePort, kubeconfigPath: resolve(local, 'kubeconfig'), stateDir: resolve(local, 'kube-sim') });
// A fresh simulator (its objects live in memory; .local/kube-sim holds only container logs): no Secret yet.
await createS3Secret(sim, s3);

const env = {
  LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  AMQP_URL: settings.amqpUrl,
  S3_ENDPOINT: s3.endpoint,
  S3_ACCESS_KEY: settings.s3AccessKey,
  S3_SECRET_KEY: settings.s3SecretKey,
  KUBECONFIG: sim.kubeconfigPath!,
  JOB_S3_SECRET_NAME: S3_SECRET,
};
const apiUrl = `http://localhost:${settings.apiPort}`;
const workerUrl = `http://localhost:${settings.workerPort}`;
const apps = [
  AppProcess.start('api', { ...env, PORT: String(settings.apiPort) }, { echo: true }),
  AppProcess.start('cloud-worker', { ...env, PORT: String(settings.workerPort) }, { echo: true }),
];
await Promise.all([waitUntilReady(apiUrl), waitUntilReady(workerUrl)]).catch(async (error: unknown) => {
  await shutdown();
  throw error;
});

console.log(`
cloud-worker is running
  api                 ${apiUrl}   (OpenAPI: ${apiUrl}/docs)
  worker              ${workerUrl}   (health: /health/ready, metrics: /metrics)
  S3 (MinIO API)      ${s3.endpoint}   (access key ${settings.s3AccessKey}, objects under .local/s3)
  Kubernetes (sim)    ${sim.url}   (kubectl --kubeconfig .local/kubeconfig get jobs)
  RabbitMQ            ${settings.amqpUrl.replace(/\/\/[^@]*@/, '//')}
Press Ctrl-C to stop.
`);

/** Logs are pretty here, not JSON, so readiness is asked over HTTP rather than read from the log. */
async function waitUntilReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await fetch(`${url}/health/ready`).then((response) => response.ok, () => false))) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not become ready within a minute`);
}

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(apps.map((app) => app.kill('SIGTERM')));
  await Promise.all([sim.stop(), s3.stop()]);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log('\nstopping…');
    void shutdown().then(() => process.exit(0));
  });
}
for (const app of apps) void app.exited.then((code) => !stopping && (console.error(`${app.name} exited (${code}); stopping`), void shutdown().then(() => process.exit(1))));
