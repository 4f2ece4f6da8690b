import { StorageModule } from '@app/storage';
import { Module } from '@nestjs/common';
import { CredentialsModule } from '../credentials/credentials.module.js';
import { KubernetesModule } from '../kubernetes/kubernetes.module.js';
import { LogCapture } from './log-capture.service.js';

/** Jobs' logs, streamed from their pods into their output buckets. */
@Module({ imports: [CredentialsModule, KubernetesModule, StorageModule], providers: [LogCapture], exports: [LogCapture] })
export class LogsModule {}
