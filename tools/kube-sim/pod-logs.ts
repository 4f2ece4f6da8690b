/** The `pods/log` subresource: which container, and the errors the API server gives before a container has run. */
import { badRequest } from './errors.js';
import type { ContainerLog, LogReadOptions } from './container-log.js';
import type { KubeObject } from './meta.js';

export interface LogRequest extends LogReadOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
}

const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff']);

/** Why a waiting container has no log yet, worded as the kubelet words it. */
function waitingMessage(reason: string): string {
  if (PULL_FAILURES.has(reason)) return 'trying and failing to pull image';
  if (reason === 'InvalidImageName') return "image can't be pulled";
  return reason;
}

/**
 * The log to serve, `null` when the pod is not on a node yet (the API server answers an empty body),
 * or a 400 as the API server gives it.
 */
export function selectLog(pod: KubeObject, request: LogRequest, logOf: (container: string) => ContainerLog | undefined): ContainerLog | null {
  const podName = pod.metadata.name!;
  const names: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
  const container = request.container ?? (names.length === 1 ? names[0] : undefined);
  if (!container) throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`);
  if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${podName}`);
  if (!pod.spec?.nodeName) return null;
  if (request.previous) throw badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
  const status = (pod.status?.containerStatuses ?? []).find((s: any) => s.name === container);
  const waiting = status?.state?.waiting?.reason ?? (status ? undefined : 'ContainerCreating');
  if (waiting) throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${waitingMessage(waiting)}`);
  return logOf(container) ?? null;
}
