import type { JobRecord, WorkRequest } from '@app/contracts';
import { WorkRequestDto } from '@app/contracts';
import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import type { Response } from 'express';
import { JobsService } from './jobs.service.js';
import { WorkRequestPipe } from './work-request.pipe.js';

@Controller('jobs')
export class JobsController {
  constructor(@Inject(JobsService) private readonly jobs: JobsService) {}

  /** 202 with the new record; 200 with the existing one when the same id and work were submitted before. */
  @Post()
  @HttpCode(202)
  @ApiBody({ type: WorkRequestDto })
  async submit(@Body(WorkRequestPipe) request: WorkRequest, @Res({ passthrough: true }) response: Response): Promise<JobRecord> {
    const { record, replayed } = await this.jobs.submit(request);
    if (replayed) response.status(200);
    response.setHeader('Location', `/jobs/${record.id}`);
    return record;
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe({ version: 'all' })) id: string): Promise<JobRecord> {
    const record = await this.jobs.get(id.toLowerCase());
    if (!record) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `No job with id ${id}` });
    return record;
  }
}
