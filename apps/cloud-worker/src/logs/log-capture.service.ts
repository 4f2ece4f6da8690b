import { WorkerConfig } from '@app/config';
import { plannedLogObject, type JobRecord } from '@app/contracts';
import { JOB_NAME_LABEL, KubeApi, KubeApiError } from '@app/kube';
import { JobLogs } from '@app/storage';
import { Inject, Injectable } from '@nestjs/common';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { JobCredentials } from '../credentials/job-credentials.service.js';
import { JOB_NAMESPACE } from '../kubernetes/kubernetes.module.js';
import type { Outcome } from '../lifecycle/outcome.js';
import { maskSecrets } from './mask-secrets.js';

export type CaptureResult = 'stored' | 'kept';

/**
 * Stores a Job's log: every attempt's pod log, oldest first, streamed from the Kubernetes API into the output
 * bucket, so that a worker's memory does not grow with the size of a log (nor with LOG_LIMIT_BYTES). A read
 * that fails or hangs rejects, and the step is tried again while the pods are still there (they stay until the
 * Job is released, which comes after). A stored log is never replaced by a worse one: when no pod log can be
 * read any more and the object exists (stored by an earlier attempt), it is kept. The S3 credentials the Job was
 * given are masked on the way (images often print their environment).
 */
@Injectable()
export class LogCapture {
  constructor(
    @Inject(KubeApi) private readonly kube: KubeApi,
    @Inject(JobLogs) private readonly logs: JobLogs,
    @Inject(JOB_NAMESPACE) private readonly namespace: string,
    @Inject(WorkerConfig) private readonly config: WorkerConfig,
    @Inject(JobCredentials) private readonly credentials: JobCredentials,
  ) {}

  async store(record: JobRecord, outcome: Outcome): Promise<CaptureResult> {
    const objectName = plannedLogObject(record);
    const secrets = await this.credentials.secretsOf(record);
    const opened = await this.openPodLogs(await this.podNamesOf(record, outcome), record.request.jobName);
    const anyLog = opened.some(({ log }) => log !== undefined);
    if (!anyLog && (await this.logs.exists(record.outputBucket, objectName))) return 'kept';
    const body = new PassThrough();
    const masked = maskSecrets(secrets);
    const writing = this.concatenate(body, opened, outcome, record.jobName);
    try {
      await Promise.all([this.logs.storeStream(record.outputBucket, objectName, masked), pipeline(body, masked), writing]);
    } catch (error) {
      for (const { log } of opened) log?.destroy();
      body.destroy();
      masked.destroy();
      throw error;
    }
    return 'stored';
  }

  /**
   * The pods whose logs make up the log: the outcome's, or, when the end was read from the Job's conditions
   * without the pods (the watch missed them), the Job's pods as listed now, oldest first.
   */
  private async podNamesOf(record: JobRecord, outcome: Outcome): Promise<string[]> {
    if (outcome.podNames.length > 0 || outcome.note) return outcome.podNames;
    const { items } = await this.kube.listPods(this.namespace, `${JOB_NAME_LABEL}=${record.jobName}`);
    return items
      .sort((a, b) => new Date(a.metadata?.creationTimestamp ?? 0).getTime() - new Date(b.metadata?.creationTimestamp ?? 0).getTime())
      .map((pod) => pod.metadata!.name!);
  }

  /** Opens every pod's log before anything is written, so that a pod whose log cannot be read fails the step early. */
  private async openPodLogs(podNames: string[], container: string): Promise<Array<{ podName: string; log: Readable | undefined; why?: string }>> {
    const opened: Array<{ podName: string; log: Readable | undefined; why?: string }> = [];
    try {
      for (const podName of podNames) {
        try {
          opened.push({ podName, log: await this.kube.openPodLog(this.namespace, podName, container, this.config.LOG_LIMIT_BYTES) });
        } catch (error) {
          // 400: the container never ran (still creating, or it could not start), so it has no log to read.
          if (!(error instanceof KubeApiError && error.code === 400)) throw error;
          opened.push({ podName, log: undefined, why: error.message });
        }
      }
    } catch (error) {
      for (const { log } of opened) log?.destroy();
      throw error;
    }
    return opened;
  }

  /** Writes the parts one after another: a header per pod when there are several, then the note, if any. */
  private async concatenate(body: PassThrough, parts: Array<{ podName: string; log: Readable | undefined; why?: string }>, outcome: Outcome, uniqueJobName: string): Promise<void> {
    const several = parts.length > 1;
    for (const [index, { podName, log, why }] of parts.entries()) {
      if (several) body.write(`${index > 0 ? '\n' : ''}==> pod ${podName} <==\n`);
      if (log) await pipeline(log, body, { end: false });
      else body.write(`(no log: ${why ?? `pod ${podName} is gone`})\n`);
    }
    if (outcome.note) body.write(`${parts.length > 0 ? '\n' : ''}${outcome.note}\n`);
    if (parts.length === 0 && !outcome.note) body.write(`No log could be read for Job ${uniqueJobName}: ${outcome.reason ?? outcome.status}.\n`);
    body.end();
  }
}
