import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsDefined,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Min,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { bucketNameProblem } from './bucket-name.js';
import { isImageReference } from './image-reference.js';
import { MAX_JOB_NAME_LENGTH } from './job-naming.js';
import { prefixProblem, SAFE_OBJECT_NAME, SAFE_OBJECT_NAME_RULE } from './object-name.js';
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
}
