import { hostname } from 'node:os';
import {
  IsArray,
  IsBoolean,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  type ValidationOptions,
} from 'class-validator';
import { IsQuantity, quantityValue, RESOURCE_CAP_VARIABLES, type ResourceName } from '@app/contracts';
import { KubeAccessConfig, neededWithSts } from './kube-access.config.js';
import { ToBoolean, ToInteger, ToJson, ToList } from './parsers.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function IsStringRecord(options: ValidationOptions): PropertyDecorator {
  const isRecord = (value: unknown) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'string');
  return ValidateBy({ name: 'isStringRecord', validator: { validate: isRecord } }, options);
}

/** A default a request gets without asking may not be more than a request may ask for. */
function WithinCap(resource: ResourceName): PropertyDecorator {
  const capVariable = RESOURCE_CAP_VARIABLES[resource];
  const cap = (config: object) => (config as WorkerConfig)[capVariable];
  return ValidateBy({
    name: 'withinCap',
    validator: {
      validate: (value, args) => {
        const capValue = quantityValue(cap(args!.object) ?? '');
        const ownValue = typeof value === 'string' ? quantityValue(value) : undefined;
        return capValue === undefined || ownValue === undefined || ownValue <= capValue;
      },
      defaultMessage: (args) => `${args?.property} must be at most ${capVariable} (${cap(args!.object)})`,
    },
  });
}

export class WorkerConfig extends KubeAccessConfig {
  override PORT = 3001;

  /** Names this worker in logs and in the Jobs it collects; the pod name in a cluster. */
  @Matches(/^[\w.-]{1,253}$/, { message: 'WORKER_ID must be 1 to 253 letters, digits or _ . -' })
  WORKER_ID = hostname();

  /** Requests this worker runs at once; also its RabbitMQ prefetch. */
  @ToInteger()
  @IsInt({ message: 'CONCURRENCY must be an integer' })
  @Min(1, { message: 'CONCURRENCY must be at least 1' })
  @Max(10000, { message: 'CONCURRENCY must be at most 10000' })
  CONCURRENCY = 10;

  @ToInteger()
  @IsInt({ message: 'JOB_TTL_SECONDS must be an integer' })
  @Min(0, { message: 'JOB_TTL_SECONDS must be 0 or more' })
  JOB_TTL_SECONDS = 30;

  @ToInteger()
  @IsInt({ message: 'JOB_BACKOFF_LIMIT must be an integer' })
  @Min(0, { message: 'JOB_BACKOFF_LIMIT must be 0 or more' })
  JOB_BACKOFF_LIMIT = 0;

  @ToList()
  @IsArray()
  @Matches(DNS_SUBDOMAIN, { each: true, message: 'JOB_IMAGE_PULL_SECRETS must be a comma-separated list of Secret names' })
  JOB_IMAGE_PULL_SECRETS: string[] = [];

  @IsOptional()
  @Matches(DNS_SUBDOMAIN, { message: 'JOB_SERVICE_ACCOUNT must be a ServiceAccount name' })
  JOB_SERVICE_ACCOUNT?: string = undefined;

  @IsOptional()
  @IsQuantity({ message: 'JOB_CPU_REQUEST must be a Kubernetes quantity such as 100m or 1' })
  @WithinCap('cpu')
  JOB_CPU_REQUEST?: string = undefined;

  @IsOptional()
  @IsQuantity({ message: 'JOB_MEMORY_REQUEST must be a Kubernetes quantity such as 128Mi' })
  @WithinCap('memory')
  JOB_MEMORY_REQUEST?: string = undefined;

  @IsOptional()
  @IsQuantity({ message: 'JOB_CPU_LIMIT must be a Kubernetes quantity such as 500m or 2' })
  @WithinCap('cpu')
  JOB_CPU_LIMIT?: string = undefined;

  @IsOptional()
  @IsQuantity({ message: 'JOB_MEMORY_LIMIT must be a Kubernetes quantity such as 512Mi' })
  @WithinCap('memory')
  JOB_MEMORY_LIMIT?: string = undefined;

  /** JSON object, e.g. {"kubernetes.io/arch":"amd64"}. */
  @ToJson()
  @IsStringRecord({ message: 'JOB_NODE_SELECTOR must be a JSON object of strings' })
  JOB_NODE_SELECTOR: Record<string, string> = {};

  /** JSON array of Kubernetes tolerations. */
  @ToJson()
  @IsArray({ message: 'JOB_TOLERATIONS must be a JSON array of tolerations' })
  @IsObject({ each: true, message: 'JOB_TOLERATIONS must be a JSON array of tolerations' })
  JOB_TOLERATIONS: Record<string, unknown>[] = [];

  /** Secret, in the Jobs' namespace, with keys `accessKey` and `secretKey`: the S3 credentials handed to Jobs. */
  @Matches(DNS_SUBDOMAIN, { message: 'JOB_S3_SECRET_NAME must be a Secret name' })
  JOB_S3_SECRET_NAME = 'cloud-worker-s3';

  /** The Jobs' S3 access key (JOB_S3_SECRET_NAME's); with JOB_S3_CREDENTIALS=sts, the identity that asks for each Job's own. */
  @ValidateIf((config: WorkerConfig) => config.JOB_S3_CREDENTIALS === 'sts' || config.JOB_S3_ACCESS_KEY !== undefined)
  @IsString(neededWithSts('JOB_S3_ACCESS_KEY'))
  @IsNotEmpty(neededWithSts('JOB_S3_ACCESS_KEY'))
  JOB_S3_ACCESS_KEY?: string = undefined;

  /** MINIO_SERVICE_HOST given to Jobs; the host of S3_ENDPOINT when unset. */
  @IsOptional()
  @IsString()
  JOB_S3_HOST?: string = undefined;

  /** MINIO_SERVICE_PORT given to Jobs; the port of S3_ENDPOINT when unset. */
  @IsOptional()
  @ToInteger()
  @IsInt({ message: 'JOB_S3_PORT must be an integer' })
  JOB_S3_PORT?: number = undefined;

  /** Jobs' containers must not run as root (`runAsNonRoot`); images built as root, like the MSTC test image, need it off. */
  @ToBoolean()
  @IsBoolean({ message: 'JOB_RUN_AS_NON_ROOT must be true or false' })
  JOB_RUN_AS_NON_ROOT = false;

  /** The owner of requests that arrive over AMQP without a `user_id` property (RabbitMQ checks a given one). */
  @Matches(/^[\w.@:-]{1,128}$/, { message: 'AMQP_DEFAULT_OWNER must be 1 to 128 letters, digits or _ . @ : -' })
  AMQP_DEFAULT_OWNER = 'mstc';

  /** Seconds in one minute of a request's `timeOut`: 60, except in tests that need time-outs in seconds. */
  @ToInteger()
  @IsInt({ message: 'TIME_OUT_UNIT_SECONDS must be an integer' })
  @Min(1, { message: 'TIME_OUT_UNIT_SECONDS must be at least 1' })
  TIME_OUT_UNIT_SECONDS = 60;

  /**
   * Kubernetes' `activeDeadlineSeconds` is the request's `timeOut` plus this: the worker ends a Job at its
   * `timeOut` with the log read first, and Kubernetes stops it only should no worker do so. Keep it above
   * ORPHAN_GRACE_SECONDS, which a Job found at start may wait before a worker ends it.
   */
  @ToInteger()
  @IsInt({ message: 'JOB_DEADLINE_MARGIN_SECONDS must be an integer' })
  @Min(0, { message: 'JOB_DEADLINE_MARGIN_SECONDS must be 0 or more' })
  JOB_DEADLINE_MARGIN_SECONDS = 120;

  /** How long a finished Job may wait for the worker holding its request before another worker finishes it. */
  @ToInteger()
  @IsInt({ message: 'ORPHAN_GRACE_SECONDS must be an integer' })
  @Min(0, { message: 'ORPHAN_GRACE_SECONDS must be 0 or more' })
  ORPHAN_GRACE_SECONDS = 60;

  /**
   * Every Job the worker follows is looked at again this often (its record read, the Jobs listed), so that
   * whatever a trigger missed (a lost cancel, a Job whose worker went away) is acted on within this period.
   */
  @ToInteger()
  @IsInt({ message: 'RESYNC_SECONDS must be an integer' })
  @Min(1, { message: 'RESYNC_SECONDS must be at least 1' })
  RESYNC_SECONDS = 60;

  /** First pause before a failed step is tried again; it doubles (with jitter) on each failure. */
  @ToInteger()
  @IsInt({ message: 'RETRY_BASE_DELAY_MS must be an integer' })
  @Min(1, { message: 'RETRY_BASE_DELAY_MS must be at least 1' })
  RETRY_BASE_DELAY_MS = 500;

  /** The longest pause between tries of a failed step. */
  @ToInteger()
  @IsInt({ message: 'RETRY_MAX_DELAY_MS must be an integer' })
  @Min(1, { message: 'RETRY_MAX_DELAY_MS must be at least 1' })
  RETRY_MAX_DELAY_MS = 30_000;

  /**
   * Tries of a step that fails with a refusal (not an outage) before giving up: the job ends `failed` with the
   * reason, or, when there is no job to end, its message is dead-lettered with it.
   */
  @ToInteger()
  @IsInt({ message: 'MAX_FAILED_ATTEMPTS must be an integer' })
  @Min(1, { message: 'MAX_FAILED_ATTEMPTS must be at least 1' })
  MAX_FAILED_ATTEMPTS = 5;


  /** The worker asks the store's STS for each Job's credentials as the Jobs user, so it needs its secret key then. */
  protected override get jobsUserRequired(): boolean {
    return this.JOB_S3_CREDENTIALS === 'sts';
  }
}
