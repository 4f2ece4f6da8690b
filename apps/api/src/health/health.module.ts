import { MessagingModule } from '@app/messaging';
import { ReadinessLog } from '@app/observability';
import { StorageHealthModule } from '@app/storage';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { JobsModule } from '../jobs/jobs.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [JobsModule, MessagingModule, StorageHealthModule, TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  // Readiness is logged when it changes, not by Terminus on every failed probe.
  providers: [ReadinessLog],
})
export class HealthModule {}
