/** Wiring: the store, the API server and the controllers of one simulated cluster. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ControllerGate } from './controller-gate.js';
import { EventRecorder } from './event-recorder.js';
import { RequestFaults, type RequestMatcher } from './faults.js';
import { GarbageCollector } from './garbage-collector.js';
import type { RequestRecord } from './http-exchange.js';
import { Catalogue, DEFAULT_CATALOGUE_PATH, REPO_ROOT, type ImageCatalogue } from './images.js';
import { JobController } from './job-controller.js';
import { kubeconfigFor } from './kubeconfig.js';
import { Kubelet } from './kubelet.js';
import { NamespaceController } from './namespace-controller.js';
import { Registry } from './registry.js';
import { ResourceHandlers } from './resource-handlers.js';
import { resourceType } from './resources/index.js';
import { ApiServer } from './server.js';
import { Store } from './store.js';
import { Timers } from './timers.js';
import { defaultTiming, type SimTiming } from './timing.js';
import { TtlController } from './ttl-controller.js';
import { WatchHub, withTypeMeta, type OpenWatch } from './watch.js';

export interface KubeSimOptions {
  /** 0 (the default) picks a free port; the host is always 127.0.0.1. */
  port?: number;
  /** When set, the kubeconfig is written there. */
  kubeconfigPath?: string;
  /** The kubeconfig context's namespace, created at start. */
  namespace?: string;
  /** A catalogue JSON file or object, merged over the default catalogue (tools/kube-sim/catalogue/catalogue.json). */
  images?: string | ImageCatalogue;
  /** Directory for container logs on disk (`<stateDir>/pods/<ns>_<pod>_<uid>/<container>/0.log`). */
  stateDir?: string;
  /** How many past events per resource a watch can resume from before 410 Gone. */
  watchWindow?: number;
  /** How many requests `requests` keeps; beyond it the oldest are dropped (default 200,000). */
  requestLogLimit?: number;
  timing?: Partial<SimTiming>;
}

export type InspectableResource = 'jobs' | 'pods' | 'events' | 'secrets' | 'namespaces';

export interface KubeSim {
  url: string;
  kubeconfig: string;
  kubeconfigPath?: string;
  /** The effective timing. */
  timing: SimTiming;
  /** Every HTTP request, in arrival order (up to `requestLogLimit`). */
  requests: RequestRecord[];
  clearRequests(): void;
  /** TCP connections accepted since the start. */
  connectionsAccepted(): number;
  /** Watch connections open now, of one resource or all. */
  openWatchCount(resource?: string): number;
  openWatches(): OpenWatch[];
  faults: {
    /** Ends every open watch at once. */
    dropWatches(): void;
    /** The next N requests (of any kind, or those `match` picks) answer 500 with a Status. */
    failNext(count: number, match?: RequestMatcher): void;
    /** The next N requests (of any kind, or those `match` picks) never answer (until the client gives up or the simulator stops). */
    hangNext(count: number, match?: RequestMatcher): void;
    /** The next N requests (of any kind, or those `match` picks) answer 200 and then send nothing: a stalled watch. */
    stallNext(count: number, match?: RequestMatcher): void;
    /** Failures, hangs and stalls injected and not yet taken by a request. */
    pending(): number;
    /** Drops the failures, hangs and stalls not yet taken (requests already hanging stay so). */
    clearRequestFaults(): void;
    /** Keeps only the last N events per resource for watches to resume from. */
    setWatchWindow(events: number): void;
    /** Job controller, TTL controller, garbage collector, namespace controller and kubelet. */
    pauseControllers(): void;
    resumeControllers(): void;
  };
  /** Request-free reads for assertions (not recorded in `requests`). */
  get<T = any>(resource: InspectableResource, namespace: string | undefined, name: string): T | undefined;
  list<T = any>(resource: InspectableResource, namespace?: string): T[];
  /** Kills every container process and closes every connection. */
  stop(): Promise<void>;
}

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function startKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  const timing: SimTiming = { ...defaultTiming, ...options.timing };
  const namespace = options.namespace ?? 'default';
  const timers = new Timers();
  const store = new Store(options.watchWindow ?? 10_000);
  const registry = new Registry(store);
  const gate = new ControllerGate();
  const catalogue = new Catalogue();
  catalogue.addFile(DEFAULT_CATALOGUE_PATH);
  if (typeof options.images === 'string') catalogue.addFile(options.images);
  else if (options.images) catalogue.add(options.images, REPO_ROOT);
  if (options.stateDir) mkdirSync(options.stateDir, { recursive: true });

  const namespaces = resourceType('namespaces');
  for (const name of new Set([...SYSTEM_NAMESPACES, namespace])) registry.create(namespaces, undefined, { metadata: { name } });

  const recorder = new EventRecorder(registry, timers, () => timing.eventTtlMs);
  new JobController(store, registry, recorder, gate, timers, timing);
  new TtlController(store, registry, gate, timers, timing);
  new GarbageCollector(store, registry, gate, timers);
  new NamespaceController(store, registry, gate, timers);
  const kubelet = new Kubelet(store, registry, recorder, catalogue, gate, timers, timing, options.stateDir);
  const watches = new WatchHub(store, timers, () => timing.bookmarkIntervalMs);
  const faults = new RequestFaults();
  const requests: RequestRecord[] = [];
  const server = new ApiServer(new ResourceHandlers(registry, watches, kubelet, timing), faults, requests, options.requestLogLimit ?? 200_000);
  const address = await server.listen(options.port ?? 0, '127.0.0.1');
  const url = `http://127.0.0.1:${address.port}`;
  const kubeconfig = kubeconfigFor(url, namespace);
  if (options.kubeconfigPath) {
    mkdirSync(dirname(options.kubeconfigPath), { recursive: true });
    writeFileSync(options.kubeconfigPath, kubeconfig);
  }

  const read = (resource: InspectableResource, json: string) => JSON.parse(withTypeMeta(resourceType(resource), json));
  let stopped: Promise<void> | undefined;
  return {
    url,
    kubeconfig,
    kubeconfigPath: options.kubeconfigPath,
    timing,
    requests,
    clearRequests: () => void (requests.length = 0),
    connectionsAccepted: () => server.connectionsAccepted,
    openWatchCount: (resource) => watches.count(resource),
    openWatches: () => watches.list(),
    faults: {
      dropWatches: () => watches.dropAll(),
      failNext: (count, match) => faults.failNext(count, match),
      hangNext: (count, match) => faults.hangNext(count, match),
      stallNext: (count, match) => faults.stallNext(count, match),
      pending: () => faults.pending(),
      clearRequestFaults: () => faults.clear(),
      setWatchWindow: (events) => store.setWindow(events),
      pauseControllers: () => gate.pause(),
      resumeControllers: () => gate.resume(),
    },
    get(resource, ns, name) {
      const type = resourceType(resource);
      const entry = store.get(resource, type.namespaced ? ns : undefined, name);
      return entry && read(resource, entry.json);
    },
    list(resource, ns) {
      const type = resourceType(resource);
      return store.list(resource, type.namespaced ? ns : undefined).map((entry) => read(resource, entry.json));
    },
    stop() {
      stopped ??= (async () => {
        timers.stop();
        watches.stop();
        await server.close();
        await kubelet.stop();
      })();
      return stopped;
    },
  };
}
