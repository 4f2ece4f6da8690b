import { JOB_STATUSES, WorkRequestDto, type JobOutput, type JobRecord, type JobStatus } from '@app/contracts';
import { ApiProperty } from '@nestjs/swagger';

const ID = '3f1c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11';

/** One object a job wrote to its output bucket (documentation of `JobOutput`). */
export class JobOutputDto implements JobOutput {
  @ApiProperty({ example: 'run-1-result.json', description: 'The object name in the output bucket.' })
  name!: string;

  @ApiProperty({ example: 1234, description: 'Bytes.' })
  size!: number;

  @ApiProperty({ example: '9b2cf535f27731c974343645a3985328' })
  etag!: string;

  @ApiProperty({ example: '2026-11-24T10:00:05.120Z' })
  lastModified!: string;
}

/** The job record as the api returns it (documentation of `JobRecord`). */
export class JobRecordDto implements JobRecord {
  @ApiProperty({ example: ID, format: 'uuid' })
  id!: string;

  @ApiProperty({ example: `test-job-${ID}`, description: 'The unique Kubernetes Job name: `<jobName>-<id>`.' })
  jobName!: string;

  @ApiProperty({ enum: JOB_STATUSES, example: 'succeeded' })
  status!: JobStatus;

  @ApiProperty({ type: WorkRequestDto, description: 'The request as accepted, with its defaults applied.' })
  request!: JobRecord['request'];

  @ApiProperty({ example: 'test.inputs' })
  outputBucket!: string;

  @ApiProperty({ type: String, nullable: true, example: `run-1-test-job-${ID}.log`, description: 'The log object in `outputBucket`; null until the log is stored.' })
  logObject!: string | null;

  @ApiProperty({ type: String, nullable: true, example: null, description: 'Why the job failed, timed out or was cancelled, e.g. `Error`, `ImagePullBackOff`, `DeadlineExceeded`, `Cancelled`.' })
  reason!: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 0, description: "The container's exit code, when it ran to an end." })
  exitCode!: number | null;

  @ApiProperty({ example: '2026-11-24T10:00:00.000Z' })
  queuedAt!: string;

  @ApiProperty({ type: String, nullable: true, example: '2026-11-24T10:00:00.120Z' })
  startedAt!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '2026-11-24T10:00:06.400Z' })
  finishedAt!: string | null;

  @ApiProperty({ example: '2026-11-24T10:00:06.400Z' })
  updatedAt!: string;

  @ApiProperty({
    required: false,
    example: 'alice',
    description: "Who submitted it: the token's name or the JWT's owner claim, or for a message sent to RabbitMQ its `user_id` (else the worker's default). Absent on records written before owners existed.",
  })
  owner?: string;

  @ApiProperty({
    enum: JOB_STATUSES,
    isArray: true,
    required: false,
    example: ['queued', 'running', 'succeeded'],
    description: 'The statuses whose result events have gone out (the end: is going out, declared with the write that ended the record); a status not listed yet is still being announced.',
  })
  announced?: JobStatus[];

  @ApiProperty({
    type: [JobOutputDto],
    required: false,
    description:
      'What the Job wrote under its prefix in `outputBucket`, listed when it ended (not the inputs that were there before it was queued, nor logs or manifests; at most 1,000). Absent until the job has ended.',
  })
  outputs?: JobOutput[];

  @ApiProperty({
    type: String,
    nullable: true,
    required: false,
    example: `run-1-test-job-${ID}.manifest.json`,
    description: 'The output manifest in `outputBucket`, beside the log: `{ id, jobName, outputBucket, prefix, outputs }`; null when the Job wrote nothing.',
  })
  manifestObject?: string | null;
}

export class JobPageDto {
  @ApiProperty({ type: [JobRecordDto], description: 'Newest first.' })
  jobs!: JobRecord[];

  @ApiProperty({ type: String, nullable: true, example: 'MDAwMDAxNzY0NDQ4MDAwMDAwLTNmMWMyZjVl', description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor!: string | null;
}

export class ErrorDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiProperty({ example: 'Invalid work request: inputBucket is required' })
  message!: string;

  @ApiProperty({
    required: false,
    example: [{ field: 'inputBucket', rule: 'isDefined', message: 'inputBucket is required' }],
    description: 'For invalid requests: each field at fault and the rule it breaks.',
  })
  errors?: Array<{ field: string; rule: string; message: string }>;
}
