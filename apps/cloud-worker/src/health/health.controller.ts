import { WorkerConfig } from '@app/config';
import { KubeApi, PodInformer } from '@app/kube';
import { AmqpPublisher } from '@app/messaging';
import { liveness, ReadinessLog, upWhen } from '@app/observability';
import { StorageHealthIndicator } from '@app/storage';
import { Controller, Get, Inject, type OnModuleInit } from '@nestjs/common';
import type { ServerRMQ } from '@nestjs/microservices';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { CONTROL_SERVER, WORK_SERVER } from '../intake/rmq-servers.js';
import { JobReconciler } from '../lifecycle/job-reconciler.service.js';

/** The API server is asked at most this often; probes come every few seconds from every kubelet. */
const KUBE_CHECK_CACHE_MS = 10_000;

@Controller('health')
export class HealthController implements OnModuleInit {
  private readonly consumers = { work: false, control: false };
  private kubeCheck: { at: number; result: Promise<string> } | undefined;

  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(ReadinessLog) private readonly readinessLog: ReadinessLog,
    @Inject(WORK_SERVER) private readonly workServer: ServerRMQ,
    @Inject(CONTROL_SERVER) private readonly controlServer: ServerRMQ,
    @Inject(AmqpPublisher) private readonly publisher: AmqpPublisher,
    @Inject(StorageHealthIndicator) private readonly storage: StorageHealthIndicator,
    @Inject(KubeApi) private readonly kube: KubeApi,
    @Inject(PodInformer) private readonly informer: PodInformer,
    @Inject(JobReconciler) private readonly reconciler: JobReconciler,
    @Inject(WorkerConfig) private readonly config: WorkerConfig,
  ) {}

  onModuleInit(): void {
    this.workServer.status.subscribe((status) => (this.consumers.work = status === 'connected'));
    this.controlServer.status.subscribe((status) => (this.consumers.control = status === 'connected'));
  }

  /** Alive as long as the process serves HTTP; an outage of a dependency must not restart every worker. */
  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => liveness(this.indicators, { jobsInFlight: this.reconciler.inFlight() })]);
  }

  /**
   * Ready while it consumes from RabbitMQ, reaches the S3 store and the Kubernetes API, its pod watch is live, and
   * not every slot it takes work for is stuck retrying a failed step.
   */
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.readinessLog.track(
      this.health.check([
        () => {
          const state = { ...this.consumers, publisher: this.publisher.isConnected() };
          return upWhen(this.indicators, 'rabbitmq', state.work && state.control && state.publisher, state);
        },
        () => this.storage.check(),
        async () => {
          const kubernetes = this.indicators.check('kubernetes');
          try {
            return kubernetes.up({ version: await this.serverVersion() });
          } catch (error) {
            return kubernetes.down({ message: error instanceof Error ? error.message : String(error) });
          }
        },
        () => {
          const state = this.informer.health();
          return upWhen(this.indicators, 'watch', state.healthy, state);
        },
        () => {
          const state = { inFlight: this.reconciler.inFlight(), retrying: this.reconciler.retrying(), concurrency: this.config.CONCURRENCY };
          return upWhen(this.indicators, 'lifecycle', state.retrying < state.concurrency, state);
        },
      ]),
    );
  }

  private serverVersion(): Promise<string> {
    if (!this.kubeCheck || Date.now() - this.kubeCheck.at > KUBE_CHECK_CACHE_MS) {
      this.kubeCheck = { at: Date.now(), result: this.kube.serverVersion() };
      this.kubeCheck.result.catch(() => (this.kubeCheck = undefined));
    }
    return this.kubeCheck.result;
  }
}
