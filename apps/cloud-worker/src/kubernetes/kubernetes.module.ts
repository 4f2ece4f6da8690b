import { WorkerConfig } from '@app/config';
import { JOB_NAMESPACE, KubeApi, kubeAccessProviders, MANAGED_SELECTOR, PodInformer, type JobSettings } from '@app/kube';
import { ROOT_LOGGER, type Logger } from '@app/observability';
import { s3Address } from '@app/storage';
import { KubeConfig } from '@kubernetes/client-node';
import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { WorkerMetricsModule } from '../worker-metrics.module.js';
import { WorkerMetrics } from '../worker.metrics.js';

/** Injection token of the settings applied to every Job. */
export const JOB_SETTINGS = Symbol('JOB_SETTINGS');

@Module({
  imports: [WorkerMetricsModule],
  providers: [
    ...kubeAccessProviders({
      inject: [WorkerMetrics],
      useFactory: (metrics: WorkerMetrics) => (verb, resource, code) => metrics.kubeRequests.inc({ verb, resource, code: String(code) }),
    }),
    {
      provide: PodInformer,
      inject: [KubeApi, WorkerConfig, WorkerMetrics, JOB_NAMESPACE, ROOT_LOGGER],
      useFactory: (kube: KubeApi, config: WorkerConfig, metrics: WorkerMetrics, namespace: string, logger: Logger) =>
        new PodInformer(kube, {
          namespace,
          labelSelector: MANAGED_SELECTOR,
          watchTimeoutSeconds: config.WATCH_TIMEOUT_SECONDS,
          stallSeconds: config.WATCH_STALL_SECONDS,
          onRestart: (reason, error) => {
            metrics.watchRestarts.inc({ reason });
            // Said in the log too: the worker waits at start until the pods are listed, silent otherwise.
            if (reason === 'error') logger.warn({ err: error }, 'could not list or watch the pods; retrying');
          },
        }),
    },
    { provide: JOB_SETTINGS, inject: [WorkerConfig, JOB_NAMESPACE], useFactory: jobSettings },
  ],
  exports: [JOB_NAMESPACE, JOB_SETTINGS, KubeApi, KubeConfig, PodInformer],
})
export class KubernetesModule implements OnApplicationShutdown {
  constructor(@Inject(PodInformer) private readonly informer: PodInformer) {}

  async onApplicationShutdown(): Promise<void> {
    await this.informer.stop();
  }
}

function jobSettings(config: WorkerConfig, namespace: string): JobSettings {
  const s3 = s3Address(config.S3_ENDPOINT);
  const requests = compact({ cpu: config.JOB_CPU_REQUEST, memory: config.JOB_MEMORY_REQUEST });
  const limits = compact({ cpu: config.JOB_CPU_LIMIT, memory: config.JOB_MEMORY_LIMIT });
  return {
    namespace,
    backoffLimit: config.JOB_BACKOFF_LIMIT,
    timeOutUnitSeconds: config.TIME_OUT_UNIT_SECONDS,
    deadlineMarginSeconds: config.JOB_DEADLINE_MARGIN_SECONDS,
    workerId: config.WORKER_ID,
    imagePullSecrets: config.JOB_IMAGE_PULL_SECRETS,
    serviceAccountName: config.JOB_SERVICE_ACCOUNT,
    resources: requests || limits ? { ...(requests && { requests }), ...(limits && { limits }) } : undefined,
    nodeSelector: config.JOB_NODE_SELECTOR,
    tolerations: config.JOB_TOLERATIONS,
    runAsNonRoot: config.JOB_RUN_AS_NON_ROOT,
    s3: {
      host: config.JOB_S3_HOST ?? s3.host,
      port: config.JOB_S3_PORT ?? s3.port,
      secretName: config.JOB_S3_SECRET_NAME,
      perJobCredentials: config.JOB_S3_CREDENTIALS === 'sts',
    },
  };
}

function compact(values: Record<string, string | undefined>): Record<string, string> | undefined {
  const present = Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return present.length > 0 ? Object.fromEntries(present) : undefined;
}
