import { ApiConfig } from '@app/config';
import type { JobRecord, JobStatus } from '@app/contracts';
import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { maySee, type Caller } from '../auth/caller.js';
import { JobsService } from '../jobs/jobs.service.js';
import { EventStream } from './event-stream.js';
import { OpenStreams } from './open-streams.js';
import { ResultFeed } from './result-feed.service.js';
import { formatEvent, formatReset, JobEventSequence, seenRank, type RecordEvent } from './sse.js';

/** The record changes as Server-Sent Events: one job's until it ends, or every job the caller may see. */
@Injectable()
export class LiveEvents {
  constructor(
    @Inject(JobsService) private readonly jobs: JobsService,
    @Inject(ResultFeed) private readonly feed: ResultFeed,
    @Inject(OpenStreams) private readonly streams: OpenStreams,
    @Inject(ApiConfig) private readonly config: ApiConfig,
  ) {}

  /**
   * The job's current record, then each change, ending after a terminal status; statuses the client saw (its
   * Last-Event-ID) are not sent again. 404 (before anything is streamed) for a job the caller may not see.
   */
  async followJob(id: string, caller: Caller, lastEventId: string | undefined, request: Request, response: Response): Promise<void> {
    await this.jobs.get(id, caller);
    const sequence = new JobEventSequence(seenRank(id, lastEventId));
    const stream = new EventStream(request, response, this.config.SSE_KEEPALIVE_SECONDS, this.streams);
    const send = (record: JobRecord) => {
      const event = sequence.next(record);
      if (event) stream.write(formatEvent(event));
      if (sequence.done) stream.close();
    };
    // Subscribed before the record is read, so no change falls between; changes that come first wait for it.
    let waiting: JobRecord[] | undefined = [];
    stream.onClose(this.feed.subscribe(({ record }) => record.id === id && (waiting ? waiting.push(record) : send(record))));
    try {
      send(await this.jobs.get(id, caller));
    } catch {
      // Gone since the first read (or the store failed): the stream ends, and the client may ask again.
      return stream.close();
    }
    for (const record of waiting.splice(0)) send(record);
    waiting = undefined;
  }

  /** Every change the caller may see, of the statuses asked for; after a Last-Event-ID the ones since, or a reset. */
  followAll(caller: Caller, statuses: readonly JobStatus[] | undefined, lastEventId: string | undefined, request: Request, response: Response): void {
    const stream = new EventStream(request, response, this.config.SSE_KEEPALIVE_SECONDS, this.streams);
    const wanted = (event: RecordEvent) => maySee(caller, event.record) && (!statuses || statuses.includes(event.status));
    if (lastEventId) {
      const missed = this.feed.after(lastEventId);
      if (!missed) stream.write(formatReset(lastEventId));
      for (const event of missed ?? []) if (wanted(event)) stream.write(formatEvent(event));
    }
    stream.onClose(this.feed.subscribe((event) => wanted(event) && stream.write(formatEvent(event))));
  }
}
