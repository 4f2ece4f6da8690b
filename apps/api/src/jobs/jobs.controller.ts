import type { JobRecord, WorkRequest } from '@app/contracts';
import { WorkRequestDto } from '@app/contracts';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Res, UseGuards, type ArgumentMetadata } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentCaller, RequiresRole } from '../auth/auth.decorators.js';
import type { Caller } from '../auth/caller.js';
import { SubmitRateGuard } from '../auth/submit-rate.guard.js';
import { QueryPipe } from '../invalid-input.js';
import { ErrorDto, JobPageDto, JobRecordDto } from './dto/job-record.dto.js';
import { JobsSummaryDto } from './dto/jobs-summary.dto.js';
import { ListJobsQuery } from './dto/list-jobs.query.js';
import { JobsSummaryService } from './jobs-summary.service.js';
import { JobsService } from './jobs.service.js';
import { WorkRequestPipe } from './work-request.pipe.js';

/** A job id: ids are UUIDs, so anything else is a 400 rather than a 404; records are kept under the lowercase form. */
export class JobIdPipe extends ParseUUIDPipe {
  constructor() {
    super({ version: 'all', errorHttpStatusCode: 400 });
  }

  override async transform(value: string, metadata: ArgumentMetadata): Promise<string> {
    // Not `optional`: the parent refuses a missing id instead of passing it on.
    const id = (await super.transform(value, metadata)) as string;
    return id.toLowerCase();
  }
}

/** The job id in a path. */
export const JobId = () => Param('id', JobIdPipe);

@ApiTags('jobs')
@ApiExtraModels(ErrorDto)
@Controller('jobs')
export class JobsController {
  constructor(
    @Inject(JobsService) private readonly jobs: JobsService,
    @Inject(JobsSummaryService) private readonly summaries: JobsSummaryService,
  ) {}

  @Post()
  @HttpCode(202)
  @RequiresRole('submit')
  @UseGuards(SubmitRateGuard)
  @ApiOperation({
    summary: 'Submit a work request',
    description:
      'Records the request as `queued`, publishes it persistently to the work queue and answers once RabbitMQ has confirmed it. ' +
      'Submitting the same `id` again with the same request answers 200 with the existing record and starts nothing.',
  })
  @ApiBody({
    type: WorkRequestDto,
    examples: {
      minimal: { value: { image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'test.inputs' } },
      full: {
        value: { id: '3f1c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11', image: 'registry.example.com:5000/team/tool:1.2', jobName: 'nightly', inputBucket: 'in.bucket', outputBucket: 'out.bucket', timeOut: 30, prefix: 'run-7' },
      },
    },
  })
  @ApiResponse({ status: 202, type: JobRecordDto, description: 'Accepted; `Location: /jobs/{id}`.' })
  @ApiResponse({ status: 200, type: JobRecordDto, description: 'This id was submitted before with the same request.' })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'Invalid request: every field at fault is named with its rule.' })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'The id was already used for a different request.' })
  @ApiResponse({ status: 429, type: ErrorDto, description: 'Over the submissions per minute allowed to one owner (`SUBMIT_RATE_PER_MINUTE`); `Retry-After` says in how many seconds to try again.' })
  @ApiResponse({ status: 503, type: ErrorDto, description: 'RabbitMQ or the S3 store is unavailable; nothing was stored.' })
  async submit(@Body(WorkRequestPipe) request: WorkRequest, @CurrentCaller() caller: Caller, @Res({ passthrough: true }) response: Response): Promise<JobRecord> {
    const { record, replayed } = await this.jobs.submit(request, caller);
    if (replayed) response.status(200);
    response.setHeader('Location', `/jobs/${record.id}`);
    return record;
  }

  @Get()
  @RequiresRole('read')
  @ApiOperation({ summary: 'List jobs', description: "Newest first, optionally of some statuses only, paged with an opaque cursor; the caller's own jobs only, every job for admin." })
  @ApiOkResponse({ type: JobPageDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'Unknown status, bad limit or cursor.' })
  async list(@Query(QueryPipe) query: ListJobsQuery, @CurrentCaller() caller: Caller): Promise<JobPageDto> {
    return this.jobs.list(caller, query.status ?? 'all', query.limit, query.cursor);
  }

  // Before `:id`, which would take `summary` for an id.
  @Get('summary')
  @RequiresRole('read')
  @ApiOperation({
    summary: 'Counts by status and the load of the last hour',
    description: "The caller's own jobs, every job for admin: what the dashboard's tabs and chart show. The counts are computed at most every 2 s per caller's view.",
  })
  @ApiOkResponse({ type: JobsSummaryDto })
  summary(@CurrentCaller() caller: Caller): Promise<JobsSummaryDto> {
    return this.summaries.summary(caller);
  }

  @Get(':id')
  @RequiresRole('read')
  @ApiOperation({ summary: 'One job' })
  @ApiOkResponse({ type: JobRecordDto })
  @ApiResponse({ status: 404, type: ErrorDto, description: "Unknown job, or another owner's." })
  get(@JobId() id: string, @CurrentCaller() caller: Caller): Promise<JobRecord> {
    return this.jobs.get(id, caller);
  }

  @Delete(':id')
  @HttpCode(202)
  @RequiresRole('cancel')
  @ApiOperation({
    summary: 'Cancel a job',
    description: 'The record becomes `cancelled` at once; the worker following the Job stores its log so far and deletes the Job (propagation Background).',
  })
  @ApiResponse({ status: 202, type: JobRecordDto })
  @ApiResponse({ status: 404, type: ErrorDto, description: "Unknown job, or another owner's." })
  @ApiResponse({ status: 409, type: ErrorDto, description: 'The job has already ended.' })
  cancel(@JobId() id: string, @CurrentCaller() caller: Caller): Promise<JobRecord> {
    return this.jobs.cancel(id, caller);
  }
}
