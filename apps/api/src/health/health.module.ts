import { StorageHealthIndicator } from '@app/storage';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { JobsModule } from '../jobs/jobs.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [JobsModule, TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController],
  providers: [StorageHealthIndicator],
})
export class HealthModule {}
