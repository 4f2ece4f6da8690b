import { MessagingModule } from '@app/messaging';
import { StorageHealthModule } from '@app/storage';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { JobsModule } from '../jobs/jobs.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [JobsModule, MessagingModule, StorageHealthModule, TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController],
})
export class HealthModule {}
