import { WorkerConfig } from '@app/config';
import type { JobRecord } from '@app/contracts';
import {
  JOB_NAMESPACE,
  jobCredentialsSecretName,
  KubeApi,
  KubeApiError,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  REQUEST_ID_LABEL,
  S3_SECRET_ACCESS_KEY,
  S3_SECRET_SECRET_KEY,
  S3_SECRET_SESSION_TOKEN,
  secretValuesToMask,
  timeOutSeconds,
  type JobSettings,
} from '@app/kube';
import type { V1Job, V1Secret } from '@kubernetes/client-node';
import { Inject, Injectable } from '@nestjs/common';
import { AssumeRoleProvider } from 'minio/dist/esm/AssumeRoleProvider.mjs';
import { JOB_SETTINGS } from '../kubernetes/kubernetes.module.js';
import { sessionPolicy } from './session-policy.js';

/** MinIO's shortest AssumeRole duration. */
const MIN_DURATION_SECONDS = 900;

/**
 * The S3 credentials each Job is given, and what of them its stored log must not show. With
 * JOB_S3_CREDENTIALS=secret every Job reads the Jobs-only user's keys from JOB_S3_SECRET_NAME; with `sts` the
 * worker asks the store's STS AssumeRole, as that user, for temporary credentials limited to the request's
 * buckets and prefix (`sessionPolicy`) and lasting as long as the Job may, and puts them in a Secret of the Job's
 * own that the Job owns, so that Kubernetes' garbage collector removes it with the Job.
 *
 * Access keys are identifiers (the project shows them, as S3 does in its answers), so only secret keys and
 * session tokens are masked.
 */
@Injectable()
export class JobCredentials {
  /** Values to mask by Job name, for the Secrets this worker created or read. */
  private readonly masked = new Map<string, string[]>();

  constructor(
    @Inject(KubeApi) private readonly kube: KubeApi,
    @Inject(JOB_NAMESPACE) private readonly namespace: string,
    @Inject(JOB_SETTINGS) private readonly settings: JobSettings,
    @Inject(WorkerConfig) private readonly config: WorkerConfig,
  ) {}

  get perJob(): boolean {
    return this.config.JOB_S3_CREDENTIALS === 'sts';
  }

  /**
   * Makes the Job's Secret of temporary credentials, owned by the Job (whose uid it needs, so it comes second); a
   * Secret that exists (an earlier try, another worker) is kept, and the pod waits for it as kubelets wait for a
   * Secret referenced before it exists.
   */
  async ensure(record: JobRecord, job: V1Job): Promise<void> {
    const name = jobCredentialsSecretName(record.jobName);
    const credentials = await this.assumeRole(record);
    const secret: V1Secret = {
      metadata: {
        name,
        namespace: this.namespace,
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [REQUEST_ID_LABEL]: record.id },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata!.name!, uid: job.metadata!.uid! }],
      },
      type: 'Opaque',
      stringData: {
        [S3_SECRET_ACCESS_KEY]: credentials.accessKey,
        [S3_SECRET_SECRET_KEY]: credentials.secretKey,
        [S3_SECRET_SESSION_TOKEN]: credentials.sessionToken,
      },
    };
    try {
      await this.kube.createSecret(this.namespace, secret);
      this.masked.set(record.jobName, [credentials.secretKey, credentials.sessionToken]);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.code === 409)) throw error;
      // Made by an earlier try: its credentials are the Job's (these new ones are never used and expire).
      await this.readMasked(record.jobName);
    }
  }

  /** What the Job's stored log must not show: the secret keys and session token it was given. */
  async secretsOf(record: JobRecord): Promise<string[]> {
    const shared = this.config.JOB_S3_SECRET_KEY ? [this.config.JOB_S3_SECRET_KEY] : [];
    if (!this.perJob) return shared;
    const own = this.masked.get(record.jobName) ?? (await this.readMasked(record.jobName));
    return [...shared, ...own];
  }

  /** The request is finished here: its values are not needed any more. */
  forget(record: JobRecord): void {
    this.masked.delete(record.jobName);
  }

  private async readMasked(uniqueJobName: string): Promise<string[]> {
    const secret = await this.kube.getSecret(this.namespace, jobCredentialsSecretName(uniqueJobName));
    const decoded = secretValuesToMask(secret);
    if (secret) this.masked.set(uniqueJobName, decoded);
    return decoded;
  }

  private async assumeRole(record: JobRecord): Promise<{ accessKey: string; secretKey: string; sessionToken: string }> {
    const duration = timeOutSeconds(record.request, this.settings) + this.settings.deadlineMarginSeconds;
    const provider = new AssumeRoleProvider({
      stsEndpoint: this.config.S3_ENDPOINT,
      accessKey: this.config.JOB_S3_ACCESS_KEY!,
      secretKey: this.config.JOB_S3_SECRET_KEY!,
      region: this.config.S3_REGION,
      durationSeconds: Math.max(MIN_DURATION_SECONDS, duration),
      policy: JSON.stringify(sessionPolicy(record.request)),
    });
    const credentials = await provider.getCredentials();
    return { accessKey: credentials.accessKey, secretKey: credentials.secretKey, sessionToken: credentials.sessionToken ?? '' };
  }
}
