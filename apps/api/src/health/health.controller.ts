import { AmqpPublisher } from '@app/messaging';
import { StorageHealthIndicator } from '@app/storage';
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { WorkQueue } from '../jobs/work-queue.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(WorkQueue) private readonly workQueue: WorkQueue,
    @Inject(AmqpPublisher) private readonly publisher: AmqpPublisher,
    @Inject(StorageHealthIndicator) private readonly storage: StorageHealthIndicator,
  ) {}

  /** The process is alive and serving HTTP; dependencies do not matter here, or a broker outage would restart every pod. */
  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.indicators.check('process').up({ uptimeSeconds: Math.round(process.uptime()) })]);
  }

  /** Ready to accept work: RabbitMQ connected and the S3 store answering. */
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => {
        const rabbitmq = this.indicators.check('rabbitmq');
        const connected = { workQueue: this.workQueue.isConnected(), publisher: this.publisher.isConnected() };
        return connected.workQueue && connected.publisher ? rabbitmq.up(connected) : rabbitmq.down(connected);
      },
      () => this.storage.check(),
    ]);
  }
}
