import type { JobRecord } from '@app/contracts';
import { COLLECTED_ANNOTATION, KubeApi, MANAGED_SELECTOR, PodInformer, REQUEST_ID_LABEL } from '@app/kube';
import { ROOT_LOGGER, type Logger } from '@app/observability';
import { JobRecordStore } from '@app/storage';
import type { V1Job } from '@kubernetes/client-node';
import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { JOB_NAMESPACE } from '../kubernetes/kubernetes.module.js';
import { JobRunner } from '../runner/job-runner.service.js';

const RECORD_READS_AT_ONCE = 16;

/**
 * At start, before taking new work: follow the pods of all Jobs, then find every Job of this system that has not
 * been collected, and hand it to the runner. Those that ended while no worker was watching are finished; those
 * still running are followed to their end.
 */
@Injectable()
export class Reconciler {
  constructor(
    @Inject(KubeApi) private readonly kube: KubeApi,
    @Inject(PodInformer) private readonly informer: PodInformer,
    @Inject(JobRecordStore) private readonly records: JobRecordStore,
    @Inject(JobRunner) private readonly runner: JobRunner,
    @Inject(JOB_NAMESPACE) private readonly namespace: string,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async run(): Promise<void> {
    await this.informer.start();
    const jobs = await this.retry(() => this.kube.listJobs(this.namespace, MANAGED_SELECTOR));
    const uncollected = jobs.items.filter((job) => !job.metadata?.annotations?.[COLLECTED_ANNOTATION]);
    let adopted = 0;
    // The records are read a batch at a time: a worker that held many Jobs should not start one S3 read after another.
    for (let start = 0; start < uncollected.length; start += RECORD_READS_AT_ONCE) {
      const batch = uncollected.slice(start, start + RECORD_READS_AT_ONCE);
      const records = await Promise.all(batch.map((job) => this.recordOf(job)));
      batch.forEach((job, i) => {
        const record = records[i];
        if (!record) {
          this.logger.warn({ jobName: job.metadata?.name }, 'found a Job without a job record; leaving it alone');
          return;
        }
        this.runner.adoptOrphan(job, record);
        adopted++;
      });
    }
    this.logger.info({ namespace: this.namespace, jobs: jobs.items.length, adopted }, 'reconciled Jobs found at start');
  }

  private recordOf(job: V1Job): Promise<JobRecord | undefined> {
    const id = job.metadata?.labels?.[REQUEST_ID_LABEL];
    return id ? this.retry(() => this.records.get(id)) : Promise.resolve(undefined);
  }

  private async retry<T>(attempt: () => Promise<T>): Promise<T> {
    for (let delay = 500; ; delay = Math.min(delay * 2, 30_000)) {
      try {
        return await attempt();
      } catch (error) {
        this.logger.warn({ err: error }, 'reconciliation step failed; retrying');
        await sleep(delay);
      }
    }
  }
}
