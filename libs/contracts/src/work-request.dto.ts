import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsDefined,
  IsInt,
  IsNotIn,
  IsObject,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Min,
  MaxLength,
  ValidateBy,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { bucketNameProblem } from './bucket-name.js';
import { isImageReference } from './image-reference.js';
import { RESERVED_ENV_NAMES } from './job-environment.js';
import { MAX_JOB_NAME_LENGTH } from './job-naming.js';
import { prefixProblem, SAFE_OBJECT_NAME, SAFE_OBJECT_NAME_RULE } from './object-name.js';
import { IsQuantity } from './quantity.js';

export const MAX_ENV_VARS = 100;
export const MAX_ENV_NAME_LENGTH = 256;
export const MAX_ARGS = 100;
/** The longest environment value or argument; the whole request stays within MAX_REQUEST_BYTES besides. */
export const MAX_VALUE_LENGTH = 8192;
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function IsBucketName(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'bucketName',
      validator: {
        validate: (value) => typeof value === 'string' && bucketNameProblem(value) === undefined,
        defaultMessage: (args) =>
          typeof args?.value === 'string'
            ? `${args.property} ${bucketNameProblem(args.value)} (S3 bucket naming rules)`
            : `${args?.property} must be a string`,
      },
    },
    options,
  );
}

function IsObjectNamePrefix(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'objectNamePrefix',
      validator: {
        validate: (value) => typeof value === 'string' && prefixProblem(value) === undefined,
        defaultMessage: (args) => `${args?.property} ${prefixProblem(String(args?.value))}`,
      },
    },
    options,
  );
}

function IsImageReference(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'imageReference',
      validator: {
        validate: (value) => typeof value === 'string' && isImageReference(value),
        defaultMessage: (args) =>
          `${args?.property} must be an OCI image reference such as "mstc/python-test", "registry.example.com:5000/team/tool:1.2" or "name@sha256:<digest>"`,
      },
    },
    options,
  );
}

// Messages of nested fields name no field: `fieldProblems` puts the field's path (`resources.limits.cpu`) before them.

const QUANTITY_SCHEMA = { oneOf: [{ type: 'string' }, { type: 'number', minimum: 0 }] };

export class ResourceListDto {
  @ApiPropertyOptional({ ...QUANTITY_SCHEMA, example: '500m', description: 'CPU as a Kubernetes quantity: "500m" is half a core, "2" two cores; a number counts cores.' })
  @IsOptional()
  @IsQuantity({ message: 'must be a Kubernetes quantity of CPU such as "500m" or "2" (cores)' })
  cpu?: string | number;

  @ApiPropertyOptional({ ...QUANTITY_SCHEMA, example: '16Gi', description: 'Memory as a Kubernetes quantity: "100Mi", "16Gi", "1G"; a number counts bytes.' })
  @IsOptional()
  @IsQuantity({ message: 'must be a Kubernetes quantity of memory such as "100Mi" or "16Gi" (bytes)' })
  memory?: string | number;
}

function ResourceListProperty(description: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: ResourceListDto, description }),
    IsOptional(),
    IsObject({ message: 'must be an object of cpu and memory' }),
    ValidateNested(),
    Type(() => ResourceListDto),
  );
}

export class ResourceRequirementsDto {
  @ResourceListProperty('What the Job is guaranteed (scheduled by); at most its limit.')
  requests?: ResourceListDto;

  @ResourceListProperty('The most the Job may use: more CPU is throttled, more memory ends it (OOMKilled).')
  limits?: ResourceListDto;
}

export class EnvVarDto {
  @ApiProperty({ example: 'LOG_LEVEL', description: `A C identifier of at most ${MAX_ENV_NAME_LENGTH} characters, none the worker sets itself: ${RESERVED_ENV_NAMES.join(', ')}.` })
  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be a string' })
  @MaxLength(MAX_ENV_NAME_LENGTH, { message: `must be at most ${MAX_ENV_NAME_LENGTH} characters long` })
  @Matches(C_IDENTIFIER, { message: 'must be a C identifier: letters, digits and _, not beginning with a digit' })
  @IsNotIn(RESERVED_ENV_NAMES, { message: (args) => `"${String(args.value)}" is set by the worker and cannot be overridden` })
  name!: string;

  @ApiProperty({ example: 'debug', description: `At most ${MAX_VALUE_LENGTH} characters. Kubernetes expands $(NAME) references to earlier variables; $$ stands for $.` })
  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be a string' })
  @MaxLength(MAX_VALUE_LENGTH, { message: `must be at most ${MAX_VALUE_LENGTH} characters long` })
  value!: string;
}

function duplicateNames(variables: unknown): string[] {
  const names = (Array.isArray(variables) ? variables : []).map((variable: { name?: unknown }) => variable?.name);
  return [...new Set(names.filter((name, index) => names.indexOf(name) !== index))].map((name) => JSON.stringify(name));
}

/**
 * A work request as MSTC clients send it, over HTTP or AMQP. Unknown fields are ignored.
 * Validation happens once, at the edge (see `validateWorkRequest`).
 */
export class WorkRequestDto {
  @ApiProperty({ example: 'mstc/python-test:latest', description: 'The image to run: an OCI reference with optional registry, port, tag or digest.' })
  @IsDefined({ message: 'image is required' })
  @IsString({ message: 'image must be a string' })
  @IsImageReference()
  image!: string;

  @ApiProperty({
    example: 'test-job',
    description: `A lowercase RFC 1123 label of 1 to ${MAX_JOB_NAME_LENGTH} characters; the Kubernetes Job is named "<jobName>-<id>".`,
  })
  @IsDefined({ message: 'jobName is required' })
  @IsString({ message: 'jobName must be a string' })
  @Length(1, MAX_JOB_NAME_LENGTH, { message: `jobName must be 1 to ${MAX_JOB_NAME_LENGTH} characters long` })
  @Matches(RFC1123_LABEL, {
    message: "jobName must be a lowercase RFC 1123 label: a-z, 0-9 and '-', beginning and ending with a letter or digit",
  })
  jobName!: string;

  @ApiProperty({ example: 'test.inputs', description: 'The bucket the Job reads its input from (INPUT_BUCKET).' })
  @IsDefined({ message: 'inputBucket is required' })
  @IsBucketName()
  inputBucket!: string;

  @ApiPropertyOptional({ example: 'test.outputs', description: 'Where the Job writes its output and the worker stores its log. Defaults to inputBucket.' })
  @IsOptional()
  @IsBucketName()
  outputBucket?: string;

  @ApiPropertyOptional({ example: 15, minimum: 0, description: 'Minutes the Job may run; 0 or absent means the default (15). The upper bound is configurable.' })
  @IsOptional()
  @IsInt({ message: 'timeOut must be an integer number of minutes' })
  @Min(0, { message: 'timeOut must be 0 or more minutes' })
  timeOut?: number;

  @ApiPropertyOptional({
    example: 'run-42',
    description:
      'Object-name prefix: passed to the Job as FILE_PREFIX and prepended to the log object as "<prefix>-". Segments separated by "/", none empty, "." or ".."; the log object name stays within 1,024 bytes.',
  })
  @IsOptional()
  @IsString({ message: 'prefix must be a string' })
  @IsNotEmpty({ message: 'prefix must not be empty when given' })
  @Matches(SAFE_OBJECT_NAME, { message: `prefix ${SAFE_OBJECT_NAME_RULE}` })
  @IsObjectNamePrefix()
  prefix?: string;

  @ApiPropertyOptional({ example: '3f1c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11', description: 'A UUID chosen by the client to make submission idempotent; assigned when absent.' })
  @IsOptional()
  @IsUUID('all', { message: 'id must be a UUID' })
  id?: string;

  @ApiPropertyOptional({
    type: ResourceRequirementsDto,
    example: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '16Gi' } },
    description:
      "The Job's CPU and memory, as Kubernetes quantities; what is not given is the worker's default (JOB_CPU_REQUEST and the like). Each is at most the administrator's cap (JOB_MAX_CPU, JOB_MAX_MEMORY), and a request at most its limit. A default that contradicts what is given gives way: a default request comes down to a given limit, a default limit goes up to a given request.",
  })
  @IsOptional()
  @IsObject({ message: 'resources must be an object of requests and limits' })
  @ValidateNested()
  @Type(() => ResourceRequirementsDto)
  resources?: ResourceRequirementsDto;

  @ApiPropertyOptional({
    type: [EnvVarDto],
    maxItems: MAX_ENV_VARS,
    example: [{ name: 'LOG_LEVEL', value: 'debug' }],
    description: `Environment variables added after the worker's own (INPUT_BUCKET and the others, which cannot be overridden), as Kubernetes lists them: at most ${MAX_ENV_VARS}, each name once.`,
  })
  @IsOptional()
  @IsArray({ message: 'env must be an array of {name, value} objects' })
  @ArrayMaxSize(MAX_ENV_VARS, { message: `env must have at most ${MAX_ENV_VARS} variables` })
  @IsObject({ each: true, message: 'env must be an array of {name, value} objects' })
  @ArrayUnique((variable: EnvVarDto) => variable?.name, { message: (args) => `env must not name a variable twice: ${duplicateNames(args.value).join(', ')}` })
  @ValidateNested({ each: true })
  @Type(() => EnvVarDto)
  env?: EnvVarDto[];

  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_ARGS,
    example: ['--iterations', '10'],
    description: `The container's arguments (Kubernetes' args: they replace the image's CMD, its ENTRYPOINT stays): at most ${MAX_ARGS}, each at most ${MAX_VALUE_LENGTH} characters.`,
  })
  @IsOptional()
  @IsArray({ message: 'args must be an array of strings' })
  @ArrayMaxSize(MAX_ARGS, { message: `args must have at most ${MAX_ARGS} arguments` })
  @IsString({ each: true, message: 'args must be an array of strings' })
  @MaxLength(MAX_VALUE_LENGTH, { each: true, message: `each of args must be at most ${MAX_VALUE_LENGTH} characters long` })
  args?: string[];
}
