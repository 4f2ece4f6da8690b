import { MessagingModule } from '@app/messaging';
import { StorageModule } from '@app/storage';
import { Module } from '@nestjs/common';
import { AnswersModule } from '../answers/answers.module.js';
import { CredentialsModule } from '../credentials/credentials.module.js';
import { KubernetesModule } from '../kubernetes/kubernetes.module.js';
import { LogsModule } from '../logs/logs.module.js';
import { OutputsModule } from '../outputs/outputs.module.js';
import { WorkerMetricsModule } from '../worker-metrics.module.js';
import { JobReconciler } from './job-reconciler.service.js';
import { Resync } from './resync.service.js';

/** The life of each request as a reconcile: its work queue, its steps, and the resync. */
@Module({
  imports: [AnswersModule, CredentialsModule, KubernetesModule, LogsModule, MessagingModule, OutputsModule, StorageModule, WorkerMetricsModule],
  providers: [JobReconciler, Resync], exports: [JobReconciler, Resync] })
export class LifecycleModule {}
