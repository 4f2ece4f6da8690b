import { Module } from '@nestjs/common';
import { JobsController } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';
import { SeedViewsController } from './seed-views.controller.js';
import { WorkQueue } from './work-queue.js';

@Module({
  controllers: [JobsController, SeedViewsController],
  providers: [JobsService, WorkQueue],
  exports: [WorkQueue],
})
export class JobsModule {}
