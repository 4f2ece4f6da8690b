import { Module } from '@nestjs/common';
import { JobsController } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';
import { WorkQueue } from './work-queue.js';

@Module({
  controllers: [JobsController],
  providers: [JobsService, WorkQueue],
  exports: [WorkQueue],
})
export class JobsModule {}
