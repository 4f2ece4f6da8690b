import { ApiConfig } from '@app/config';
import { LOAD_WINDOW_MINUTES, TERMINAL_STATUSES, type JobsSummary } from '@app/contracts';
import { ROOT_LOGGER, retryPolicy, type Logger } from '@app/observability';
import { JobRecordStore } from '@app/storage';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { listedOwner, type Caller } from '../auth/caller.js';
import { ResultFeed } from '../live/result-feed.service.js';
import { FinishedTally } from './finished-tally.js';

/** Counts stop here: past it a tab says "10,000+" and counting costs no more than ten listings per status. */
export const SUMMARY_COUNT_LIMIT = 10_000;
/**
 * Counts are reused this long per caller's view, however many dashboards show it: counting lists every index.
 * Short, so that a page opened anew shows the jobs just submitted.
 */
const COUNTS_CACHE_MS = 2_000;
/** At start, at most this many ended records are read to fill the last hour seen before the api ran. */
const BACKFILL_MAX_RECORDS = 1_000;
const BACKFILL_PAGE = 100;

/**
 * `GET /jobs/summary`: counts by status from the record index, and the jobs ended per minute over the last hour,
 * tallied from the results events as they come (no record is read for them) after one scan of the store at start.
 */
@Injectable()
export class JobsSummaryService implements OnModuleInit, OnApplicationShutdown {
  private readonly tally = new FinishedTally();
  private readonly cachedCounts = new Map<string, { at: number; counts: Promise<JobsSummary['counts']> }>();
  private readonly stopping = new AbortController();
  private unsubscribe: (() => void) | undefined;

  constructor(
    @Inject(JobRecordStore) private readonly records: JobRecordStore,
    @Inject(ResultFeed) private readonly feed: ResultFeed,
    @Inject(ApiConfig) private readonly config: ApiConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.feed.subscribe((event) => this.tally.add(event.record, Date.now()));
    void this.backfill();
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
    this.stopping.abort();
  }

  /** The caller's view: its own jobs, or every job for admin. The tally is read anew, the counts are reused. */
  async summary(caller: Caller): Promise<JobsSummary> {
    const owner = listedOwner(caller);
    const counts = await this.counts(owner);
    const now = Date.now();
    return { generatedAt: new Date(now).toISOString(), counts, countLimit: SUMMARY_COUNT_LIMIT, finishedPerMinute: this.tally.series(now, owner) };
  }

  private counts(owner: string | undefined): Promise<JobsSummary['counts']> {
    const key = owner === undefined ? 'all' : `owner:${owner}`;
    const now = Date.now();
    for (const [cachedKey, { at }] of this.cachedCounts) if (now - at >= COUNTS_CACHE_MS) this.cachedCounts.delete(cachedKey);
    const cached = this.cachedCounts.get(key);
    if (cached) return cached.counts;
    const counts = this.records.countByStatus(SUMMARY_COUNT_LIMIT, owner);
    this.cachedCounts.set(key, { at: now, counts });
    // Failed counts are not kept: the next ask tries again.
    counts.catch(() => this.cachedCounts.delete(key));
    return counts;
  }

  /**
   * Fills the tally with the jobs that ended in the last hour before this api started: ended records, newest
   * queued first, until one was queued before the window by more than the longest time-out (none older can have
   * ended in it, unless it waited that long in the queue) or BACKFILL_MAX_RECORDS were read. Retried with the
   * system's backoff while the store is unreachable.
   */
  private async backfill(): Promise<void> {
    const started = Date.now();
    const oldestQueued = started - (LOAD_WINDOW_MINUTES + this.config.MAX_TIMEOUT_MINUTES) * 60_000;
    const untilRead = retryPolicy(() => true, { initialDelayMs: 500, maxDelayMs: 30_000 });
    try {
      let cursor: string | undefined;
      for (let read = 0; read < BACKFILL_MAX_RECORDS; read += BACKFILL_PAGE) {
        const page = await untilRead.execute(() => this.records.list(TERMINAL_STATUSES, BACKFILL_PAGE, cursor), this.stopping.signal);
        for (const record of page.records) this.tally.add(record, Date.now());
        cursor = page.nextCursor;
        if (!cursor || page.records.some((record) => Date.parse(record.queuedAt) < oldestQueued)) return;
      }
    } catch (error) {
      if (!this.stopping.signal.aborted) this.logger.warn({ err: error }, 'could not read the jobs ended before the api started; the load chart counts from now');
    }
  }
}
