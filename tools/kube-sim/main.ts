/**
 * Command line: `npm run kube-sim -- --port 6443 --kubeconfig .local/kubeconfig --images catalogue.json`.
 * Runs until SIGINT or SIGTERM, then stops every container it started.
 */
import { parseArgs } from 'node:util';
import { startKubeSim } from './index.js';
import { defaultTiming, type SimTiming } from './timing.js';

const USAGE = `Usage: kube-sim [--port 6443] [--kubeconfig PATH] [--images CATALOGUE.json] [--namespace default]
                [--state-dir DIR] [--watch-window EVENTS] [--timing NAME=MS ...]
Timing knobs (ms): ${Object.entries(defaultTiming)
  .map(([name, value]) => `${name}=${value}`)
  .join(', ')}`;

function parseTiming(values: string[]): Partial<SimTiming> {
  const timing: Partial<SimTiming> = {};
  for (const value of values) {
    const [name, ms] = value.split('=');
    if (!(name in defaultTiming) || !/^\d+$/.test(ms ?? '')) throw new Error(`--timing ${value}: expected NAME=MS with NAME one of ${Object.keys(defaultTiming).join(', ')}`);
    timing[name as keyof SimTiming] = Number(ms);
  }
  return timing;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '6443' },
      kubeconfig: { type: 'string' },
      images: { type: 'string' },
      namespace: { type: 'string' },
      'state-dir': { type: 'string' },
      'watch-window': { type: 'string' },
      timing: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const started = Date.now();
  const sim = await startKubeSim({
    port: Number(values.port),
    kubeconfigPath: values.kubeconfig,
    images: values.images,
    namespace: values.namespace,
    stateDir: values['state-dir'],
    watchWindow: values['watch-window'] ? Number(values['watch-window']) : undefined,
    timing: parseTiming(values.timing),
  });
  console.log(`kube-sim listening on ${sim.url} (started in ${Date.now() - started} ms)`);
  console.log(sim.kubeconfigPath ? `kubeconfig written to ${sim.kubeconfigPath}` : sim.kubeconfig);
  const stop = () => {
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  console.error(USAGE);
  process.exit(1);
});
