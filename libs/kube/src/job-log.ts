import type { V1Secret } from '@kubernetes/client-node';
import { S3_SECRET_SECRET_KEY, S3_SECRET_SESSION_TOKEN } from './labels.js';

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

/** The pods' parts in order, as they come: the part of the log that the api can follow live. */
export async function* podLogsBody(parts: AsyncIterable<PodLogPart> | Iterable<PodLogPart>, headers: boolean): AsyncGenerator<Buffer> {
  let index = 0;
  for await (const { podName, log, why } of parts) {
    if (headers) yield Buffer.from(podLogHeader(index, podName));
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

/** The values of a Job's own credentials Secret (JOB_S3_CREDENTIALS=sts) that a log must not show. */
export function secretValuesToMask(secret: V1Secret | undefined): string[] {
  return [S3_SECRET_SECRET_KEY, S3_SECRET_SESSION_TOKEN].flatMap((key) => {
    const value = secret?.data?.[key];
    return value ? [Buffer.from(value, 'base64').toString()] : [];
  });
}
