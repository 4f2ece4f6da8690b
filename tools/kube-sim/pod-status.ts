/** The pod status the kubelet reports, built from what it knows of each container. Pure. */
import { timestamp, type KubeObject } from './meta.js';

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        signal?: number;
        reason: string;
        message?: string;
        startedAt?: string;
        finishedAt: string;
        containerID?: string;
      };
    };

export interface ContainerView {
  name: string;
  /** The image as the spec names it, until pulled; then the runtime's fully qualified name. */
  image: string;
  imageID: string;
  containerID?: string;
  state: ContainerState;
}

export interface PodView {
  hostIP: string;
  /** Set once the pod sandbox exists. */
  podIP?: string;
  startTime: string;
  containers: ContainerView[];
  /** The pod is being deleted and its containers were stopped. */
  killed: boolean;
}

const isTerminated = (c: ContainerView) => 'terminated' in c.state;
const isRunning = (c: ContainerView) => 'running' in c.state;

/** With restartPolicy Never: every container ended decides Succeeded or Failed; a killed pod fails. */
function podPhase(view: PodView): string {
  if (view.containers.length && view.containers.every(isTerminated)) {
    return view.containers.every((c) => 'terminated' in c.state && c.state.terminated.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  if (view.killed) return 'Failed';
  return view.containers.some(isRunning) ? 'Running' : 'Pending';
}

type Condition = { type: string; status: string; lastProbeTime: null; lastTransitionTime: string; reason?: string; message?: string };

/** Keeps a condition's lastTransitionTime while its status stays the same. */
function condition(previous: Condition[], now: string, type: string, status: boolean, reason?: string, message?: string): Condition {
  const value = status ? 'True' : 'False';
  const before = previous.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === value ? before.lastTransitionTime : now;
  return { type, status: value, lastProbeTime: null, lastTransitionTime, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

export function buildPodStatus(pod: KubeObject, view: PodView, now = Date.now()): Record<string, unknown> {
  const time = timestamp(now);
  const phase = podPhase(view);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const previous: Condition[] = pod.status?.conditions ?? [];
  const unready = view.containers.filter((c) => !isRunning(c)).map((c) => c.name);
  const ready = !terminal && unready.length === 0;
  const notReadyReason = terminal ? (phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed') : 'ContainersNotReady';
  const notReadyMessage = terminal ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const conditions = [
    condition(previous, time, 'PodReadyToStartContainers', Boolean(view.podIP) && !terminal),
    condition(previous, time, 'Initialized', true),
    condition(previous, time, 'Ready', ready, ready ? undefined : notReadyReason, ready ? undefined : notReadyMessage),
    condition(previous, time, 'ContainersReady', ready, ready ? undefined : notReadyReason, ready ? undefined : notReadyMessage),
    condition(previous, time, 'PodScheduled', true),
  ];
  return {
    phase,
    conditions,
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    ...(view.podIP ? { podIP: view.podIP, podIPs: [{ ip: view.podIP }] } : {}),
    startTime: view.startTime,
    containerStatuses: view.containers.map((c) => {
      const running = isRunning(c);
      return {
        name: c.name,
        state: c.state,
        lastState: {},
        ready: running,
        restartCount: 0,
        image: c.image,
        imageID: c.imageID,
        ...(c.containerID ? { containerID: c.containerID } : {}),
        started: running,
      };
    }),
    qosClass: pod.status?.qosClass ?? 'BestEffort',
  };
}
