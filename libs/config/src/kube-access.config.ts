import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Min, ValidateIf, type ValidationOptions } from 'class-validator';
import { CommonConfig } from './common.config.js';
import { ToInteger } from './parsers.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The Jobs user's keys, which ask the store's STS for each Job's credentials. */
export const neededWithSts = (key: string): ValidationOptions => ({ message: `${key} is needed with JOB_S3_CREDENTIALS=sts (the Jobs user that asks for each Job's credentials)` });

/**
 * What both apps need to reach the Jobs in Kubernetes and read their logs as the worker stores them: the worker
 * runs the Jobs; the api follows their pods' logs (read-only) and masks the same credentials.
 */
export class KubeAccessConfig extends CommonConfig {
  /** Namespace of the Jobs; the kubeconfig context's namespace (or the pod's own, in a cluster) when unset. */
  @IsOptional()
  @Matches(DNS_LABEL, { message: 'JOB_NAMESPACE must be a DNS-1123 label' })
  JOB_NAMESPACE?: string = undefined;

  /**
   * The Jobs' S3 secret key (JOB_S3_SECRET_NAME's `secretKey`): masked in every log, stored or followed, since
   * images often print their environment; with JOB_S3_CREDENTIALS=sts, the worker asks for each Job's own with it.
   */
  @ValidateIf((config: KubeAccessConfig) => config.jobsUserRequired || config.JOB_S3_SECRET_KEY !== undefined)
  @IsString(neededWithSts('JOB_S3_SECRET_KEY'))
  @IsNotEmpty(neededWithSts('JOB_S3_SECRET_KEY'))
  JOB_S3_SECRET_KEY?: string = undefined;

  /**
   * How Jobs get S3 credentials: `secret`, the Jobs-only user in JOB_S3_SECRET_NAME; `sts`, credentials of their
   * own from the store's STS AssumeRole, limited to the request's buckets and prefix.
   */
  @IsIn(['secret', 'sts'], { message: 'JOB_S3_CREDENTIALS must be secret or sts' })
  JOB_S3_CREDENTIALS: 'secret' | 'sts' = 'secret';

  /** Most of a Job's log that is stored. */
  @ToInteger()
  @IsInt({ message: 'LOG_LIMIT_BYTES must be an integer' })
  @Min(1024, { message: 'LOG_LIMIT_BYTES must be at least 1024' })
  LOG_LIMIT_BYTES = 64 * 1024 * 1024;

  /** A Kubernetes API request that takes longer is abandoned and retried. */
  @ToInteger()
  @IsInt({ message: 'KUBE_REQUEST_TIMEOUT_MS must be an integer' })
  @Min(100, { message: 'KUBE_REQUEST_TIMEOUT_MS must be at least 100' })
  KUBE_REQUEST_TIMEOUT_MS = 30_000;

  /** The server ends each watch after this long and the worker resumes it from the last resourceVersion. */
  @ToInteger()
  @IsInt({ message: 'WATCH_TIMEOUT_SECONDS must be an integer' })
  @Min(1, { message: 'WATCH_TIMEOUT_SECONDS must be at least 1' })
  WATCH_TIMEOUT_SECONDS = 300;

  /** A watch silent for this long (no event, no bookmark) is taken as stalled and replaced. */
  @ToInteger()
  @IsInt({ message: 'WATCH_STALL_SECONDS must be an integer' })
  @Min(1, { message: 'WATCH_STALL_SECONDS must be at least 1' })
  WATCH_STALL_SECONDS = 90;

  /** Whether JOB_S3_SECRET_KEY must be set (the worker's, with sts); the api only masks it when given. */
  protected get jobsUserRequired(): boolean {
    return false;
  }
}
