import type { JobStatus } from '@app/contracts';
import { Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CurrentCaller, RequiresRole } from '../auth/auth.decorators.js';
import type { Caller } from '../auth/caller.js';
import { QueryPipe } from '../invalid-input.js';
import { ErrorDto } from '../jobs/dto/job-record.dto.js';
import { JobId } from '../jobs/jobs.controller.js';
import { LiveEvents } from './live-events.service.js';
import { LiveLogs, NOTICE_PREFIX } from './live-logs.service.js';
import { EventsQuery, LogQuery } from './live.dto.js';
import { OpenStreams } from './open-streams.js';

const EVENT_STREAM_EXAMPLE = 'event: running\nid: 3f1c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11:running\ndata: {"id":"3f1c2f5e-…","status":"running",…}\n\n';
const LAST_EVENT_ID = {
  name: 'Last-Event-ID',
  required: false,
  description: 'The id (`<job id>:<status>`) of the last event seen: the stream goes on after it (EventSource sends it when it reconnects).',
};

/** What follows jobs live: their logs while they run, and their record changes as Server-Sent Events. */
@ApiTags('jobs')
@ApiExtraModels(ErrorDto)
@Controller()
export class LiveController {
  constructor(
    @Inject(LiveLogs) private readonly logs: LiveLogs,
    @Inject(LiveEvents) private readonly events: LiveEvents,
    @Inject(OpenStreams) private readonly streams: OpenStreams,
  ) {}

  @Get('jobs/:id/log')
  @RequiresRole('read')
  @ApiOperation({
    summary: "The job's log",
    description:
      'An ended job: its stored log. A running one: every attempt\'s log so far, read from the Kubernetes API and put together as the worker stores it. ' +
      'With `follow=true` the answer streams the log as it grows and, when the job ends, goes on from the stored log where it stopped: the whole body is the stored log, byte for byte. ' +
      `Should the stored log not begin with what was sent (the Job's pods changed while it was followed) a line starting \`${NOTICE_PREFIX}\` says so. The credentials the Job was given are masked.`,
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The log.', schema: { type: 'string', example: 'Started\nINPUT_BUCKET: test.inputs\n…\nSUCCESS\n' } })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'Bad `follow` or `tail`.' })
  @ApiResponse({ status: 404, type: ErrorDto, description: "Unknown job, another owner's, or (not following) no log yet." })
  @ApiResponse({ status: 503, type: ErrorDto, description: "The Job's credentials cannot be read to mask them (JOB_S3_CREDENTIALS=sts), or a dependency is down." })
  async log(@JobId() id: string, @Query(QueryPipe) query: LogQuery, @CurrentCaller() caller: Caller, @Req() request: Request, @Res() response: Response): Promise<void> {
    const stop = new AbortController();
    const body = await this.logs.open(id, caller, { follow: query.follow, tail: query.tail }, stop.signal);
    const unregister = this.streams.add(() => stop.abort());
    // `close` comes when the client goes away before the end (and after the end, when it changes nothing).
    response.once('close', () => stop.abort());
    response.status(200);
    response.setHeader('Content-Type', 'text/plain; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache, no-transform');
    response.setHeader('X-Accel-Buffering', 'no');
    if (query.follow) response.flushHeaders();
    try {
      await pipeline(Readable.from(withNoticeOnFailure(body)), response);
    } catch {
      // The client went away: nothing to answer.
    } finally {
      unregister();
      stop.abort();
    }
  }

  @Get('jobs/:id/events')
  @RequiresRole('read')
  @ApiOperation({
    summary: "The job's record changes, as Server-Sent Events",
    description:
      'First the record as it is, then one event per change; the stream ends after a terminal status. ' +
      'Each event: `event: <status>`, `id: <job id>:<status>`, `data: <the record as JSON>`; a comment line keeps the stream alive every SSE_KEEPALIVE_SECONDS.',
  })
  @ApiHeader(LAST_EVENT_ID)
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'The event stream.', schema: { type: 'string', example: EVENT_STREAM_EXAMPLE } })
  @ApiResponse({ status: 404, type: ErrorDto, description: "Unknown job, or another owner's." })
  async jobEvents(@JobId() id: string, @Headers('last-event-id') lastEventId: string | undefined, @CurrentCaller() caller: Caller, @Req() request: Request, @Res() response: Response): Promise<void> {
    await this.events.followJob(id, caller, lastEventId, request, response);
  }

  @Get('events')
  @RequiresRole('read')
  @ApiOperation({
    summary: 'Every record change the caller may see, as Server-Sent Events',
    description:
      'The same events as for one job, of every job the caller may see (its own; every job for admin), optionally of some statuses only. ' +
      'With `Last-Event-ID` the events since are sent first while the api still holds them; otherwise an `event: reset` comes first and the client lists the jobs again.',
  })
  @ApiHeader(LAST_EVENT_ID)
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'The event stream (it ends only when the client or the api goes away).', schema: { type: 'string', example: EVENT_STREAM_EXAMPLE } })
  @ApiResponse({ status: 400, type: ErrorDto, description: 'Unknown status.' })
  allEvents(@Query(QueryPipe) query: EventsQuery, @Headers('last-event-id') lastEventId: string | undefined, @CurrentCaller() caller: Caller, @Req() request: Request, @Res() response: Response): void {
    this.events.followAll(caller, query.status as JobStatus[] | undefined, lastEventId, request, response);
  }
}

/** A log that fails once its answer has begun can only say so in the text: a notice line, then the end. */
async function* withNoticeOnFailure(body: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* body;
  } catch (error) {
    yield Buffer.from(`\n${NOTICE_PREFIX} The log could not be read further: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
