import { ACTIVE_STATUSES, TERMINAL_STATUSES, type JobRecord, type JobStatus } from '@app/contracts';
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentCaller, RequiresRole } from '../auth/auth.decorators.js';
import type { Caller } from '../auth/caller.js';
import { QueryPipe } from '../invalid-input.js';
import { ErrorDto, JobPageDto, JobRecordDto } from './dto/job-record.dto.js';
import { PageQuery } from './dto/list-jobs.query.js';
import { JobIdPipe } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';

/** The job views of seed 002, kept for its clients: thin aliases of `/jobs`, with the same role and owner rules. */
@ApiTags('seed-002 views')
@RequiresRole('read')
@Controller()
export class SeedViewsController {
  constructor(@Inject(JobsService) private readonly jobs: JobsService) {}

  @Get('job_status')
  @ApiOperation({ summary: 'One job (alias of GET /jobs/{id})' })
  @ApiOkResponse({ type: JobRecordDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: '`job_id` missing or not a UUID.' })
  @ApiResponse({ status: 404, type: ErrorDto })
  jobStatus(@Query('job_id', JobIdPipe) id: string, @CurrentCaller() caller: Caller): Promise<JobRecord> {
    return this.jobs.get(id, caller);
  }

  @Get('completed_jobs')
  @ApiOperation({ summary: 'Jobs that have ended: succeeded, failed, timed out or cancelled' })
  @ApiOkResponse({ type: JobPageDto })
  completed(@Query(QueryPipe) query: PageQuery, @CurrentCaller() caller: Caller): Promise<JobPageDto> {
    return this.page(caller, TERMINAL_STATUSES, query);
  }

  @Get('incomplete_jobs')
  @ApiOperation({ summary: 'Jobs that have not ended: queued or running' })
  @ApiOkResponse({ type: JobPageDto })
  incomplete(@Query(QueryPipe) query: PageQuery, @CurrentCaller() caller: Caller): Promise<JobPageDto> {
    return this.page(caller, ACTIVE_STATUSES, query);
  }

  @Get('inprogress_jobs')
  @ApiOperation({ summary: 'Jobs running now' })
  @ApiOkResponse({ type: JobPageDto })
  inProgress(@Query(QueryPipe) query: PageQuery, @CurrentCaller() caller: Caller): Promise<JobPageDto> {
    return this.page(caller, ['running'], query);
  }

  private page(caller: Caller, statuses: readonly JobStatus[], query: PageQuery): Promise<JobPageDto> {
    return this.jobs.list(caller, statuses, query.limit, query.cursor);
  }
}
