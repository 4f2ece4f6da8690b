import { Controller, Get, HttpCode, Inject, Param, Put, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentCaller, RequiresRole } from '../auth/auth.decorators.js';
import type { Caller } from '../auth/caller.js';
import { ErrorDto } from '../jobs/dto/job-record.dto.js';
import { StoredFileDto } from './dto/files.dto.js';
import { FilesService, type OpenedFile } from './files.service.js';
import { ObjectPath } from './object-path.js';

const BUCKET = ApiParam({ name: 'bucket', example: 'test.inputs', description: 'S3 bucket naming rules; not the records bucket.' });
const KEY = ApiParam({ name: 'key', example: 'run-1/data.csv', description: "The object name: a request prefix's characters and segments (`/` separates folders; no empty, `.` or `..` segment), at most 1,024 bytes." });

@ApiTags('files')
@ApiExtraModels(ErrorDto)
@Controller('files')
export class FilesController {
  constructor(@Inject(FilesService) private readonly files: FilesService) {}

  @Put(':bucket/*key')
  @HttpCode(201)
  @RequiresRole('submit')
  @BUCKET
  @KEY
  @ApiOperation({
    summary: 'Upload a file',
    description:
      'Streams the body, whatever its type, into the bucket (created when missing) as the object, in parts as it arrives; the object names its uploader ' +
      '(`x-amz-meta-cloud-worker-owner`). At most `FILES_MAX_BYTES` (default 5 GiB). A Job finds it in its input bucket.',
  })
  @ApiConsumes('application/octet-stream')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiCreatedResponse({ type: StoredFileDto })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'A bad bucket or key (each named with its rule), or the records bucket.' })
  @ApiResponse({ status: 403, type: ErrorDto, description: "The object exists and is another owner's (admins may replace it)." })
  @ApiResponse({ status: 413, type: ErrorDto, description: 'Larger than `FILES_MAX_BYTES`; nothing was stored.' })
  @ApiResponse({ status: 503, type: ErrorDto, description: 'The S3 store is unavailable.' })
  async upload(
    @Param('bucket') bucket: string,
    @ObjectPath('key') key: string,
    @Req() request: Request,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StoredFileDto> {
    const length = request.headers['content-length'];
    try {
      return await this.files.upload(bucket, key, request, length === undefined ? undefined : Number(length), request.headers['content-type'], caller);
    } catch (error) {
      // The body may still be coming: end the connection after the answer rather than read the rest of it.
      response.setHeader('Connection', 'close');
      throw error;
    }
  }

  @Get(':bucket/*key')
  @RequiresRole('read')
  @BUCKET
  @KEY
  @ApiOperation({ summary: 'Download a file', description: 'Streams an object the caller uploaded (any object, for admin), with `Content-Length`, `ETag` and `Content-Type`.' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'A bad bucket or key, or the records bucket.' })
  @ApiResponse({ status: 404, type: ErrorDto, description: "No such object, or another owner's." })
  async download(@Param('bucket') bucket: string, @ObjectPath('key') key: string, @CurrentCaller() caller: Caller, @Res({ passthrough: true }) response: Response): Promise<StreamableFile> {
    return streamed(await this.files.download(bucket, key, caller), response);
  }
}

/** An object as the answer: its bytes as they come from the store, with its length, type and ETag. */
export function streamed(file: OpenedFile, response: Response): StreamableFile {
  response.setHeader('ETag', `"${file.etag}"`);
  return new StreamableFile(file.stream, { type: file.contentType, length: file.size });
}
