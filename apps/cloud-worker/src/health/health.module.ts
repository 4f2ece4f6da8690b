import { MessagingModule } from '@app/messaging';
import { StorageHealthModule } from '@app/storage';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { IntakeModule } from '../intake/intake.module.js';
import { KubernetesModule } from '../kubernetes/kubernetes.module.js';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [IntakeModule, KubernetesModule, LifecycleModule, MessagingModule, StorageHealthModule, TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController],
})
export class HealthModule {}
