import { MessagingModule } from '@app/messaging';
import { MetricsModule } from '@app/observability';
import { StorageModule } from '@app/storage';
import { Module } from '@nestjs/common';
import { ApiMetrics } from '../api.metrics.js';
import { ResultFeedModule } from '../live/result-feed.module.js';
import { JobsSummaryService } from './jobs-summary.service.js';
import { JobsController } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';
import { SeedViewsController } from './seed-views.controller.js';
import { WorkQueue } from './work-queue.js';

@Module({
  imports: [MessagingModule, MetricsModule, ResultFeedModule, StorageModule],
  controllers: [JobsController, SeedViewsController],
  providers: [ApiMetrics, JobsService, JobsSummaryService, WorkQueue],
  exports: [JobsService, WorkQueue],
})
export class JobsModule {}
