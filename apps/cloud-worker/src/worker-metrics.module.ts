import { MessagingModule } from '@app/messaging';
import { MetricsModule } from '@app/observability';
import { Module } from '@nestjs/common';
import { WorkerMetrics } from './worker.metrics.js';

/** The worker's own metrics, in the process's registry; its RabbitMQ reconnects are read from the publisher. */
@Module({ imports: [MessagingModule, MetricsModule], providers: [WorkerMetrics], exports: [WorkerMetrics] })
export class WorkerMetricsModule {}
