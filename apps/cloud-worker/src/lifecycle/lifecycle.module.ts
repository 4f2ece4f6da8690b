import { Module } from '@nestjs/common';
import { AnswersModule } from '../answers/answers.module.js';
import { LogsModule } from '../logs/logs.module.js';
import { JobReconciler } from './job-reconciler.service.js';
import { Resync } from './resync.service.js';

/** The life of each request as a reconcile: its work queue, its steps, and the resync. */
@Module({ imports: [AnswersModule, LogsModule], providers: [JobReconciler, Resync], exports: [JobReconciler, Resync] })
export class LifecycleModule {}
