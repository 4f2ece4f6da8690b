import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import type { Readable } from 'node:stream';
import { KubeApiError, type KubeApi } from './kube-api.js';
import { BACKOFF_LIMIT_ANNOTATION, S3_SECRET_SECRET_KEY, S3_SECRET_SESSION_TOKEN } from './labels.js';

/**
 * The one definition of a job's log as stored by the worker and as followed through the api, so that the two
 * cannot drift: every pod's container log, oldest pod first, each under a header when the Job has or may have
 * several pods, then the note (when the Job could not run or its log could not be read). The api streams the pod
 * parts as they come and continues from the stored object at the byte where it stopped, so the stored log must
 * begin with exactly those bytes.
 */
export interface PodLogPart {
  podName: string;
  /** The container's log; absent when it could not be read (`why`). */
  log?: AsyncIterable<Buffer | string>;
  why?: string;
}

/** How a stored log ends: the note, or, when nothing at all could be read, a line saying so. */
export interface LogEnding {
  note?: string;
  uniqueJobName: string;
  /** The outcome's reason or, without one, its status. */
  reason: string;
}

/**
 * Whether each pod's log comes under a header. Decided from what is known before the first pod's log is
 * followed (the Job's backoffLimit, so retries are possible), or from the pods found when there are several
 * anyway (a pod replaced after its deletion): the live log then has no header and says so where it continues.
 */
export function podHeadersWanted(backoffLimit: number, podCount: number): boolean {
  return backoffLimit > 0 || podCount > 1;
}

export function podLogHeader(index: number, podName: string): string {
  return `${index > 0 ? '\n' : ''}==> pod ${podName} <==\n`;
}

/**
 * The pods' parts in order, as they come: the part of the log that the api can follow live. `headers` may be
 * asked only when the first part has come (a follower learns the backoffLimit from the first pod).
 */
export async function* podLogsBody(parts: AsyncIterable<PodLogPart> | Iterable<PodLogPart>, headers: boolean | (() => boolean)): AsyncGenerator<Buffer> {
  let index = 0;
  let withHeaders: boolean | undefined;
  for await (const { podName, log, why } of parts) {
    withHeaders ??= typeof headers === 'function' ? headers() : headers;
    if (withHeaders) yield Buffer.from(podLogHeader(index, podName));
    if (log) for await (const chunk of log) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    else yield Buffer.from(`(no log: ${why ?? `pod ${podName} is gone`})\n`);
    index++;
  }
}

/** The whole stored log, as the worker writes it (before masking). */
export async function* storedLogBody(parts: readonly PodLogPart[], backoffLimit: number, ending: LogEnding): AsyncGenerator<Buffer> {
  yield* podLogsBody(parts, podHeadersWanted(backoffLimit, parts.length));
  if (ending.note) yield Buffer.from(`${parts.length > 0 ? '\n' : ''}${ending.note}\n`);
  if (parts.length === 0 && !ending.note) yield Buffer.from(`No log could be read for Job ${ending.uniqueJobName}: ${ending.reason}.\n`);
}

/** The backoffLimit of the Job a pod belongs to, as the worker noted it on the pod (0 when absent). */
export function backoffLimitOf(pod: V1Pod): number {
  return Number(pod.metadata?.annotations?.[BACKOFF_LIMIT_ANNOTATION] ?? 0) || 0;
}

/**
 * A pod's part of the log: its container's log as a stream (at most `limitBytes`), or why there is none: the
 * pod is gone, or (400) the container never ran (still creating, or it could not start).
 */
export async function openPodLogPart(kube: KubeApi, namespace: string, podName: string, container: string, limitBytes: number): Promise<PodLogPart & { log?: Readable }> {
  try {
    return { podName, log: await kube.openPodLog(namespace, podName, container, limitBytes) };
  } catch (error) {
    if (!(error instanceof KubeApiError && error.code === 400)) throw error;
    return { podName, log: undefined, why: error.message };
  }
}

/** The values of a Job's own credentials Secret (JOB_S3_CREDENTIALS=sts) that a log must not show. */
export function secretValuesToMask(secret: V1Secret | undefined): string[] {
  return [S3_SECRET_SECRET_KEY, S3_SECRET_SESSION_TOKEN].flatMap((key) => {
    const value = secret?.data?.[key];
    return value ? [Buffer.from(value, 'base64').toString()] : [];
  });
}
