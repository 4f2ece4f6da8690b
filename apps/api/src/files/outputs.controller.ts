import { Controller, Get, Inject, Res, StreamableFile } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentCaller, RequiresRole } from '../auth/auth.decorators.js';
import type { Caller } from '../auth/caller.js';
import { ErrorDto } from '../jobs/dto/job-record.dto.js';
import { JobId } from '../jobs/jobs.controller.js';
import { JobOutputsDto } from './dto/files.dto.js';
import { streamed } from './files.controller.js';
import { FilesService } from './files.service.js';
import { ObjectPath } from './object-path.js';

@ApiTags('jobs')
@ApiExtraModels(ErrorDto)
@Controller('jobs')
export class OutputsController {
  constructor(@Inject(FilesService) private readonly files: FilesService) {}

  @Get(':id/outputs')
  @RequiresRole('read')
  @ApiOperation({
    summary: "The job's outputs",
    description: 'What the Job wrote under its prefix in its output bucket, as listed by the worker when it ended (also in its manifest object), each with its download link.',
  })
  @ApiOkResponse({ type: JobOutputsDto })
  @ApiResponse({ status: 404, type: ErrorDto, description: "Unknown job, another owner's, or not ended yet." })
  outputs(@JobId() id: string, @CurrentCaller() caller: Caller): Promise<JobOutputsDto> {
    return this.files.outputs(id, caller);
  }

  @Get(':id/outputs/*name')
  @RequiresRole('read')
  @ApiParam({ name: 'name', example: 'run-1-result.json', description: 'An output name, as listed.' })
  @ApiOperation({ summary: 'Download one output', description: 'Streams one output the job lists, with `Content-Length`, `ETag` and `Content-Type`.' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 404, type: ErrorDto, description: "Unknown job, another owner's, not ended yet, or not one of its outputs." })
  async output(@JobId() id: string, @ObjectPath('name') name: string, @CurrentCaller() caller: Caller, @Res({ passthrough: true }) response: Response): Promise<StreamableFile> {
    return streamed(await this.files.openOutput(id, name, caller), response);
  }
}
