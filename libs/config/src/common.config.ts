import {
  DEFAULT_CONTROL_EXCHANGE,
  DEFAULT_DEAD_LETTER_QUEUE,
  DEFAULT_RESULTS_EXCHANGE,
  DEFAULT_WORK_EXCHANGE,
  DEFAULT_WORK_QUEUE,
  imagePatternProblem,
  ImagePolicy,
  IsBucketName,
  IsQuantity,
  type WorkRequestRules,
} from '@app/contracts';
import { ArrayNotEmpty, IsArray, IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, Max, Min, ValidateBy } from 'class-validator';
import { ToBoolean, ToInteger, ToList } from './parsers.js';

const RABBITMQ_NAME = /^[A-Za-z0-9_.:-]{1,255}$/;
const RABBITMQ_NAME_RULE = 'must be 1 to 255 letters, digits or _ . : -';

/** Settings both apps read. Property names are the environment variables. */
export class CommonConfig {
  /** The HTTP port (api: the API; worker: health and metrics). */
  @ToInteger()
  @IsInt({ message: 'PORT must be an integer' })
  @Min(0, { message: 'PORT must be 0 to 65535' })
  @Max(65535, { message: 'PORT must be 0 to 65535' })
  PORT = 3000;

  @IsUrl({ protocols: ['amqp', 'amqps'], require_tld: false, require_protocol: true }, { message: 'AMQP_URL must be an amqp:// or amqps:// URL' })
  AMQP_URL = 'amqp://guest:guest@localhost:5672';

  @Matches(RABBITMQ_NAME, { message: `WORK_EXCHANGE ${RABBITMQ_NAME_RULE}` })
  WORK_EXCHANGE = DEFAULT_WORK_EXCHANGE;

  @Matches(RABBITMQ_NAME, { message: `WORK_QUEUE ${RABBITMQ_NAME_RULE}` })
  WORK_QUEUE = DEFAULT_WORK_QUEUE;

  @Matches(RABBITMQ_NAME, { message: `DEAD_LETTER_QUEUE ${RABBITMQ_NAME_RULE}` })
  DEAD_LETTER_QUEUE = DEFAULT_DEAD_LETTER_QUEUE;

  @Matches(RABBITMQ_NAME, { message: `RESULTS_EXCHANGE ${RABBITMQ_NAME_RULE}` })
  RESULTS_EXCHANGE = DEFAULT_RESULTS_EXCHANGE;

  @Matches(RABBITMQ_NAME, { message: `CONTROL_EXCHANGE ${RABBITMQ_NAME_RULE}` })
  CONTROL_EXCHANGE = DEFAULT_CONTROL_EXCHANGE;

  /** How long a publish may wait for RabbitMQ's confirm before it counts as failed (the api then answers 503). */
  @ToInteger()
  @IsInt({ message: 'PUBLISH_TIMEOUT_MS must be an integer' })
  @Min(100, { message: 'PUBLISH_TIMEOUT_MS must be at least 100' })
  PUBLISH_TIMEOUT_MS = 5000;

  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true }, { message: 'S3_ENDPOINT must be an http:// or https:// URL' })
  S3_ENDPOINT = 'http://localhost:9000';

  @IsString()
  @IsNotEmpty({ message: 'S3_ACCESS_KEY must not be empty' })
  S3_ACCESS_KEY = 'minioadmin';

  @IsString()
  @IsNotEmpty({ message: 'S3_SECRET_KEY must not be empty' })
  S3_SECRET_KEY = 'minioadmin';

  @IsString()
  S3_REGION = 'us-east-1';

  @IsBucketName()
  RECORDS_BUCKET = 'cloud-worker-records';

  @ToInteger()
  @IsInt({ message: 'DEFAULT_TIMEOUT_MINUTES must be an integer' })
  @Min(1, { message: 'DEFAULT_TIMEOUT_MINUTES must be at least 1' })
  DEFAULT_TIMEOUT_MINUTES = 15;

  @ToInteger()
  @IsInt({ message: 'MAX_TIMEOUT_MINUTES must be an integer' })
  @Min(1, { message: 'MAX_TIMEOUT_MINUTES must be at least 1' })
  MAX_TIMEOUT_MINUTES = 1440;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent' })
  LOG_LEVEL = 'info';

  @IsIn(['json', 'pretty'], { message: 'LOG_FORMAT must be json or pretty' })
  LOG_FORMAT: 'json' | 'pretty' = 'json';

  @ToInteger()
  @IsInt({ message: 'SHUTDOWN_TIMEOUT_SECONDS must be an integer' })
  @Min(1, { message: 'SHUTDOWN_TIMEOUT_SECONDS must be at least 1' })
  @Max(3600, { message: 'SHUTDOWN_TIMEOUT_SECONDS must be at most 3600' })
  SHUTDOWN_TIMEOUT_SECONDS = 25;

  /**
   * Largest accepted work request, as an HTTP body (the api) or a message (the worker): work requests are small,
   * so anything bigger is refused early.
   */
  @ToInteger()
  @IsInt({ message: 'MAX_REQUEST_BYTES must be an integer' })
  @Min(1024, { message: 'MAX_REQUEST_BYTES must be at least 1024' })
  MAX_REQUEST_BYTES = 64 * 1024;

  /**
   * Images a request may run: comma-separated patterns of registries and repositories, such as
   * `harbor.example.org/mstc/*` (any repository below, at any depth), `mstc/*` (read as `docker.io/mstc/*`) or
   * `mstc/python-test`; `*` allows any. Checked by the api and again by the worker, since requests sent straight
   * to RabbitMQ never pass the api.
   */
  @ToList()
  @IsArray()
  @IsString({ each: true })
  @ArrayNotEmpty({ message: 'ALLOWED_IMAGES must be a comma-separated list of image patterns' })
  @IsImagePatterns()
  ALLOWED_IMAGES: string[] = ['*'];

  /** Refuse images tagged `:latest` (or untagged, which means `:latest`). */
  @ToBoolean()
  @IsBoolean({ message: 'IMAGE_DENY_LATEST must be true or false' })
  IMAGE_DENY_LATEST = false;

  /** Refuse images not pinned by a digest (`@sha256:…`). */
  @ToBoolean()
  @IsBoolean({ message: 'IMAGE_REQUIRE_DIGEST must be true or false' })
  IMAGE_REQUIRE_DIGEST = false;

  /**
   * The most CPU a request may ask for, as a request or a limit (a Kubernetes quantity such as `4` or `3500m`);
   * no cap when unset. Checked by the api and again by the worker, like the image policy.
   */
  @IsOptional()
  @IsQuantity({ message: 'JOB_MAX_CPU must be a Kubernetes quantity such as 4 or 3500m' })
  JOB_MAX_CPU?: string = undefined;

  /** The most memory a request may ask for, as a request or a limit (such as `16Gi`); no cap when unset. */
  @IsOptional()
  @IsQuantity({ message: 'JOB_MAX_MEMORY must be a Kubernetes quantity such as 16Gi' })
  JOB_MAX_MEMORY?: string = undefined;

  /** The rules every work request is validated against, at the api and at the worker; callers build them once. */
  get workRequestRules(): WorkRequestRules {
    return {
      timeOut: { defaultMinutes: this.DEFAULT_TIMEOUT_MINUTES, maxMinutes: this.MAX_TIMEOUT_MINUTES },
      recordsBucket: this.RECORDS_BUCKET,
      images: new ImagePolicy({ allowed: this.ALLOWED_IMAGES, denyLatest: this.IMAGE_DENY_LATEST, requireDigest: this.IMAGE_REQUIRE_DIGEST }),
      resourceCaps: { ...(this.JOB_MAX_CPU && { cpu: this.JOB_MAX_CPU }), ...(this.JOB_MAX_MEMORY && { memory: this.JOB_MAX_MEMORY }) },
    };
  }
}

/** Every ALLOWED_IMAGES pattern must be one the image policy can read; a bad one is named at boot. */
function IsImagePatterns(): PropertyDecorator {
  const problems = (value: unknown): string[] =>
    (Array.isArray(value) ? value : []).flatMap((pattern: unknown) => {
      const problem = typeof pattern === 'string' ? imagePatternProblem(pattern) : undefined;
      return problem ? [`"${String(pattern)}" ${problem}`] : [];
    });
  return ValidateBy({
    name: 'imagePatterns',
    validator: {
      validate: (value) => problems(value).length === 0,
      defaultMessage: (args) => `ALLOWED_IMAGES pattern ${problems(args?.value).join(', pattern ')}`,
    },
  });
}
