import { WorkerConfig } from '@app/config';
import { plannedLogObject, type JobRecord } from '@app/contracts';
import { JOB_NAME_LABEL, JOB_NAMESPACE, KubeApi, maskSecrets, openPodLogPart, storedLogBody, type PodLogPart } from '@app/kube';
import { JobLogs } from '@app/storage';
import { Inject, Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { JobCredentials } from '../credentials/job-credentials.service.js';
import type { Outcome } from '../lifecycle/outcome.js';

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
    // The format is job-log.ts's, which the api follows live too.
    const body = Readable.from(storedLogBody(opened, this.config.JOB_BACKOFF_LIMIT, { note: outcome.note, uniqueJobName: record.jobName, reason: outcome.reason ?? outcome.status }));
    const masked = maskSecrets(secrets);
    try {
      await Promise.all([this.logs.storeStream(record.outputBucket, objectName, masked), pipeline(body, masked)]);
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
  private async openPodLogs(podNames: string[], container: string): Promise<Array<PodLogPart & { log?: Readable }>> {
    const opened: Array<PodLogPart & { log?: Readable }> = [];
    try {
      for (const podName of podNames) opened.push(await openPodLogPart(this.kube, this.namespace, podName, container, this.config.LOG_LIMIT_BYTES));
    } catch (error) {
      for (const { log } of opened) log?.destroy();
      throw error;
    }
    return opened;
  }
}
