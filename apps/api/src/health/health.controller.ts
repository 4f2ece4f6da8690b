import { AmqpPublisher } from '@app/messaging';
import { liveness, ReadinessLog, upWhen } from '@app/observability';
import { StorageHealthIndicator } from '@app/storage';
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators.js';
import { WorkQueue } from '../jobs/work-queue.js';

/** Open to all, as probes carry no token; it tells only up or down. */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(ReadinessLog) private readonly readinessLog: ReadinessLog,
    @Inject(WorkQueue) private readonly workQueue: WorkQueue,
    @Inject(AmqpPublisher) private readonly publisher: AmqpPublisher,
    @Inject(StorageHealthIndicator) private readonly storage: StorageHealthIndicator,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => liveness(this.indicators)]);
  }

  /** Ready to accept work: both RabbitMQ connections up (the work queue's and the publisher's), the S3 store answering. */
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.readinessLog.track(
      this.health.check([
        () => {
          const connected = { workQueue: this.workQueue.isConnected(), publisher: this.publisher.isConnected() };
          return upWhen(this.indicators, 'rabbitmq', connected.workQueue && connected.publisher, connected);
        },
        () => this.storage.check(),
      ]),
    );
  }
}
