import { WorkerConfig } from '@app/config';
import { JOB_NAMESPACE, KubeApi, MANAGED_SELECTOR, PodInformer } from '@app/kube';
import { ROOT_LOGGER, type Logger } from '@app/observability';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { retryOutages } from './failures.js';
import { JobReconciler } from './job-reconciler.service.js';

/**
 * The level-based half of the triggers: at start, and every RESYNC_SECONDS after, the worker lists its Jobs
 * (one request) and has every request it follows looked at again, and every uncollected Job followed. Whatever
 * a trigger missed is caught here: a lost cancel command, a Job whose worker went away for good, a pod event
 * dropped between watches.
 */
@Injectable()
export class Resync implements OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private readonly stopping = new AbortController();

  constructor(
    @Inject(KubeApi) private readonly kube: KubeApi,
    @Inject(PodInformer) private readonly informer: PodInformer,
    @Inject(JobReconciler) private readonly reconciler: JobReconciler,
    @Inject(JOB_NAMESPACE) private readonly namespace: string,
    @Inject(WorkerConfig) private readonly config: WorkerConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** Before taking new work: follow the pods, then take over the Jobs earlier workers left; then resync periodically. */
  async start(): Promise<void> {
    await this.informer.start();
    const untilListed = retryOutages(this.config);
    untilListed.onRetry(({ delay, ...failure }) => this.logger.warn({ err: 'error' in failure ? failure.error : undefined, delayMs: delay }, 'could not list the Jobs at start; retrying'));
    const { jobs, adopted } = await untilListed.execute(() => this.once(true), this.stopping.signal);
    this.logger.info({ namespace: this.namespace, jobs, adopted }, 'reconciled Jobs found at start');
    this.timer = setInterval(() => {
      this.once().catch((error: unknown) => this.logger.warn({ err: error }, 'resync could not list the Jobs; the next one will'));
    }, this.config.RESYNC_SECONDS * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.stopping.abort();
  }

  private async once(atStart = false): Promise<{ jobs: number; adopted: number }> {
    const list = await this.kube.listJobs(this.namespace, MANAGED_SELECTOR);
    return { jobs: list.items.length, ...this.reconciler.resync(list.items, atStart) };
  }
}
