import { Module } from '@nestjs/common';
import { KubernetesModule } from '../kubernetes/kubernetes.module.js';
import { JobCredentials } from './job-credentials.service.js';

/** The Jobs' S3 credentials: the Jobs-only user's, or each Job's own from STS, and what of them logs must not show. */
@Module({ imports: [KubernetesModule], providers: [JobCredentials], exports: [JobCredentials] })
export class CredentialsModule {}
