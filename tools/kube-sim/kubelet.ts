/**
 * The kubelet of the one simulated node: schedules new pods onto it, "pulls" images through the
 * catalogue, starts each container as a local process or a built-in, reports status as the real
 * kubelet does, keeps container logs until the pod is deleted, and stops containers of deleted pods
 * (SIGTERM, SIGKILL after the grace period) before removing the pod.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerLog } from './container-log.js';
import { ContainerConfigError, containerEnv, expandVariables } from './container-env.js';
import { startProcess, type ContainerExit, type ContainerProcess } from './container-runtime.js';
import type { ControllerGate } from './controller-gate.js';
import type { EventRecorder } from './event-recorder.js';
import { canonicalName, parseImageReference, REPO_ROOT, repositoryOf, type Catalogue, type ImageReference, type ResolvedImage } from './images.js';
import { isBuiltinImage, startBuiltin } from './in-process-images.js';
import { isDeleting, timestamp, type KubeObject } from './meta.js';
import { buildPodStatus, type ContainerView } from './pod-status.js';
import type { Registry } from './registry.js';
import { resourceType } from './resources/index.js';
import { isTerminalPhase } from './resources/pods.js';
import type { Store, StoreEvent } from './store.js';
import type { Timers } from './timers.js';
import type { SimTiming } from './timing.js';
import { WorkQueue } from './work-queue.js';

export const NODE_NAME = 'kube-sim-node';
const HOST_IP = '172.18.0.2';
const KUBELET = { component: 'kubelet', host: NODE_NAME };
const SCHEDULER = { component: 'default-scheduler' };
const pods = resourceType('pods');

interface ContainerRun {
  spec: any;
  view: ContainerView;
  log: ContainerLog;
  process?: ContainerProcess;
}

interface PodRun {
  uid: string;
  namespace: string;
  name: string;
  podIP?: string;
  startTime?: string;
  containers: ContainerRun[];
  killing: boolean;
  killed: boolean;
  logDir?: string;
}

/** What containerd says of an image the registry does not have. */
function pullFailure(reference: ImageReference): string {
  const name = canonicalName(reference);
  return `failed to pull and unpack image "${name}": failed to resolve reference "${name}": ${name}: not found`;
}

export class Kubelet {
  private readonly runs = new Map<string, PodRun>();
  private readonly statusQueue: WorkQueue<string>;
  /** Namespaces whose secrets changed: containers waiting for a secret there try again. */
  private readonly configRetries: WorkQueue<string>;
  private readonly pulled = new Set<string>();
  private nextPodIp = 0;

  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    private readonly recorder: EventRecorder,
    private readonly catalogue: Catalogue,
    private readonly gate: ControllerGate,
    private readonly timers: Timers,
    private readonly timing: SimTiming,
    private readonly stateDir?: string,
  ) {
    this.statusQueue = new WorkQueue('kubelet', gate, timers, (uid) => this.syncStatus(uid));
    this.configRetries = new WorkQueue('kubelet', gate, timers, (namespace) => this.retryConfigErrors(namespace));
    store.subscribe((event) => this.observe(event));
  }

  /** The log of a container, if this kubelet ran (or runs) it. */
  logOf(podUid: string, container: string): ContainerLog | undefined {
    return this.runs.get(podUid)?.containers.find((c) => c.spec.name === container)?.log;
  }

  async stop(): Promise<void> {
    const exits: Promise<unknown>[] = [];
    for (const run of this.runs.values()) {
      for (const container of run.containers) {
        if (!container.process) continue;
        container.process.signal('SIGKILL');
        exits.push(container.process.exited);
      }
    }
    this.runs.clear();
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(exits), new Promise((resolve) => (giveUp = setTimeout(resolve, 2000)))]);
    clearTimeout(giveUp);
  }

  private observe(event: StoreEvent): void {
    if (event.resource === 'secrets' && event.type !== 'DELETED') return this.configRetries.add(event.entry.object.metadata.namespace!);
    if (event.resource !== 'pods') return;
    const pod = event.entry.object;
    const run = this.runs.get(pod.metadata.uid!);
    if (event.type === 'DELETED') {
      if (run) this.discard(run);
      return;
    }
    if (!run) {
      if (isDeleting(pod) || isTerminalPhase(pod) || (pod.spec?.nodeName && pod.spec.nodeName !== NODE_NAME)) return;
      const created = this.track(pod);
      void this.startPod(created);
    } else if (isDeleting(pod) && !run.killing) {
      run.killing = true;
      void this.killPod(run, pod);
    }
  }

  private track(pod: KubeObject): PodRun {
    const { uid, namespace, name } = pod.metadata;
    const logDir = this.stateDir && join(this.stateDir, 'pods', `${namespace}_${name}_${uid}`);
    const run: PodRun = {
      uid: uid!,
      namespace: namespace!,
      name: name!,
      killing: false,
      killed: false,
      logDir,
      containers: (pod.spec?.containers ?? []).map((spec: any) => {
        if (logDir) mkdirSync(join(logDir, spec.name), { recursive: true });
        return {
          spec,
          view: { name: spec.name, image: spec.image, imageID: '', state: { waiting: { reason: 'ContainerCreating' } } },
          log: new ContainerLog(logDir && join(logDir, spec.name, '0.log')),
        };
      }),
    };
    this.runs.set(run.uid, run);
    return run;
  }

  /** Waits, then whether the pod is still this kubelet's to start (not deleted meanwhile). */
  private async step(run: PodRun, ms: number): Promise<boolean> {
    await this.timers.sleep(ms);
    await this.gate.whenOpen();
    return this.runs.get(run.uid) === run && !run.killing;
  }

  private currentPod(run: PodRun): KubeObject | undefined {
    const entry = this.store.get('pods', run.namespace, run.name);
    return entry?.object.metadata.uid === run.uid ? entry.object : undefined;
  }

  private async startPod(run: PodRun): Promise<void> {
    if (!(await this.step(run, this.timing.scheduleMs))) return;
    run.startTime = timestamp();
    this.syncStatus(run.uid);
    const pod = this.currentPod(run);
    if (!pod) return;
    this.recorder.record({ type: pods, object: pod }, 'Normal', 'Scheduled', `Successfully assigned ${run.namespace}/${run.name} to ${NODE_NAME}`, SCHEDULER);
    if (!(await this.step(run, this.timing.imagePullMs))) return;
    const ip = this.nextPodIp++;
    run.podIP = `10.244.${Math.floor(ip / 250) % 256}.${(ip % 250) + 2}`;
    for (const container of run.containers) this.pullAndStart(run, container);
    this.statusQueue.add(run.uid);
  }

  private event(run: PodRun, container: ContainerRun, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const pod = this.currentPod(run);
    if (pod) this.recorder.record({ type: pods, object: pod, fieldPath: `spec.containers{${container.spec.name}}` }, type, reason, message, KUBELET);
  }

  private pullAndStart(run: PodRun, container: ContainerRun): void {
    const image: string = container.spec.image;
    let reference: ImageReference;
    try {
      reference = parseImageReference(image);
    } catch (error) {
      const message = `Failed to apply default image tag "${image}": ${(error as Error).message}`;
      container.view.state = { waiting: { reason: 'InvalidImageName', message } };
      this.event(run, container, 'Warning', 'InspectFailed', message);
      this.event(run, container, 'Warning', 'Failed', 'Error: InvalidImageName');
      return;
    }
    const resolved = this.catalogue.resolve(reference);
    if (!resolved) return this.failPull(run, container, reference);
    const name = canonicalName(reference);
    if (this.pulled.has(name) && container.spec.imagePullPolicy !== 'Always') {
      this.event(run, container, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
    } else {
      this.pulled.add(name);
      const took = `${this.timing.imagePullMs}ms`;
      this.event(run, container, 'Normal', 'Pulling', `Pulling image "${image}"`);
      this.event(run, container, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: 0 bytes.`);
    }
    container.view.image = name;
    container.view.imageID = `${repositoryOf(reference)}@sha256:${createHash('sha256').update(resolved.key).digest('hex')}`;
    this.launch(run, container, resolved);
  }

  /** Missing images fail to pull, then back off; like a real cluster, they stay that way. */
  private failPull(run: PodRun, container: ContainerRun, reference: ImageReference): void {
    const image: string = container.spec.image;
    const failure = pullFailure(reference);
    container.view.state = { waiting: { reason: 'ErrImagePull', message: failure } };
    this.event(run, container, 'Normal', 'Pulling', `Pulling image "${image}"`);
    this.event(run, container, 'Warning', 'Failed', `Failed to pull image "${image}": ${failure}`);
    this.event(run, container, 'Warning', 'Failed', 'Error: ErrImagePull');
    void this.step(run, this.timing.imagePullBackOffMs).then((alive) => {
      if (!alive) return;
      container.view.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } };
      this.event(run, container, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      this.event(run, container, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      this.statusQueue.add(run.uid);
    });
  }

  private launch(run: PodRun, container: ContainerRun, image: ResolvedImage): void {
    const pod = this.currentPod(run);
    if (!pod) return;
    const podForEnv = { ...pod, spec: { ...pod.spec, nodeName: NODE_NAME }, status: { ...pod.status, hostIP: HOST_IP, podIP: run.podIP } };
    let env: Record<string, string>;
    try {
      env = containerEnv(podForEnv, container.spec, (namespace, name) => this.store.get('secrets', namespace, name)?.object);
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error;
      container.view.state = { waiting: { reason: 'CreateContainerConfigError', message: error.message } };
      this.event(run, container, 'Warning', 'Failed', `Error: ${error.message}`);
      return;
    }
    const processEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', HOSTNAME: run.name, ...image.entry.env, ...env };
    const output = (stream: 'stdout' | 'stderr', text: string) => container.log.append(stream, text);
    let started: ContainerProcess;
    if ('inProcess' in image.entry) {
      if (!isBuiltinImage(image.entry.inProcess)) return this.exited(run, container, { exitCode: 128, startError: `unknown in-process image "${image.entry.inProcess}"` });
      started = startBuiltin(image.entry.inProcess, processEnv, output, this.timers);
    } else {
      const argv = [...(container.spec.command ?? image.entry.command), ...(container.spec.args ?? [])].map((part: string) => expandVariables(part, env));
      started = startProcess({ argv, env: processEnv, cwd: container.spec.workingDir ?? image.entry.cwd ?? REPO_ROOT }, output);
    }
    container.process = started;
    container.view.containerID = `containerd://${randomBytes(32).toString('hex')}`;
    container.view.state = { running: { startedAt: timestamp() } };
    this.event(run, container, 'Normal', 'Created', `Created container: ${container.spec.name}`);
    this.event(run, container, 'Normal', 'Started', `Started container ${container.spec.name}`);
    void started.exited.then((exit) => this.exited(run, container, exit));
  }

  private exited(run: PodRun, container: ContainerRun, exit: ContainerExit): void {
    container.process = undefined;
    container.log.end();
    const startedAt = 'running' in container.view.state ? container.view.state.running.startedAt : undefined;
    container.view.state = {
      terminated: {
        exitCode: exit.exitCode,
        reason: exit.startError ? 'StartError' : exit.exitCode === 0 ? 'Completed' : 'Error',
        ...(exit.startError ? { message: `failed to start container process: ${exit.startError}` } : {}),
        ...(startedAt ? { startedAt } : {}),
        finishedAt: timestamp(),
        ...(container.view.containerID ? { containerID: container.view.containerID } : {}),
      },
    };
    if (exit.startError) this.event(run, container, 'Warning', 'Failed', `Error: failed to start container process: ${exit.startError}`);
    if (this.runs.get(run.uid) === run) this.statusQueue.add(run.uid);
  }

  private retryConfigErrors(namespace: string): void {
    for (const run of this.runs.values()) {
      if (run.namespace !== namespace || run.killing) continue;
      for (const container of run.containers) {
        const state = container.view.state;
        if ('waiting' in state && state.waiting.reason === 'CreateContainerConfigError') {
          const resolved = this.catalogue.resolve(parseImageReference(container.spec.image));
          if (resolved) this.launch(run, container, resolved);
          this.statusQueue.add(run.uid);
        }
      }
    }
  }

  /** Graceful stop: SIGTERM, SIGKILL after the grace period, final status, then the pod's removal. */
  private async killPod(run: PodRun, pod: KubeObject): Promise<void> {
    await this.gate.whenOpen();
    const running = run.containers.filter((c) => c.process);
    for (const container of running) {
      this.event(run, container, 'Normal', 'Killing', `Stopping container ${container.spec.name}`);
      container.process!.signal('SIGTERM');
    }
    const graceMs = Math.min((pod.metadata.deletionGracePeriodSeconds ?? 30) * this.timing.specSecondMs, this.timing.maxTerminationGraceMs);
    const cancelKill = this.timers.after(graceMs, () => running.forEach((c) => c.process?.signal('SIGKILL')));
    await Promise.all(running.map((c) => c.process?.exited));
    cancelKill();
    for (const container of run.containers) {
      if ('waiting' in container.view.state) {
        container.view.state = {
          terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', finishedAt: timestamp() },
        };
      }
    }
    run.killed = true;
    await this.gate.whenOpen();
    if (this.runs.get(run.uid) !== run) return;
    this.syncStatus(run.uid);
    try {
      this.registry.delete(pods, run.namespace, run.name, { gracePeriodSeconds: 0, preconditions: { uid: run.uid } });
    } catch {
      // Already removed.
    }
  }

  private discard(run: PodRun): void {
    this.runs.delete(run.uid);
    for (const container of run.containers) {
      container.process?.signal('SIGKILL');
      container.log.end();
    }
    if (run.logDir) rmSync(run.logDir, { recursive: true, force: true });
  }

  /** Writes the status of what the kubelet knows, binding the pod to the node on the first write. */
  private syncStatus(uid: string): void {
    const run = this.runs.get(uid);
    const startTime = run?.startTime;
    if (!run || !startTime || !this.currentPod(run)) return;
    this.registry.modify(pods, run.namespace, run.name, (next) => {
      next.spec.nodeName ??= NODE_NAME;
      next.status = buildPodStatus(next, {
        hostIP: HOST_IP,
        podIP: run.podIP,
        startTime,
        containers: run.containers.map((c) => c.view),
        killed: run.killed,
      });
    });
  }
}
