import { MessagingModule } from '@app/messaging';
import { ReadinessLog } from '@app/observability';
import { StorageHealthModule } from '@app/storage';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { IntakeModule } from '../intake/intake.module.js';
import { KubernetesModule } from '../kubernetes/kubernetes.module.js';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [IntakeModule, KubernetesModule, LifecycleModule, MessagingModule, StorageHealthModule, TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  // Readiness is logged when it changes, not by Terminus on every failed probe.
  providers: [ReadinessLog],
})
export class HealthModule {}
