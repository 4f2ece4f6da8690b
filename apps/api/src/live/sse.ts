import { JOB_STATUSES, type JobRecord, type JobStatus } from '@app/contracts';

/**
 * Server-Sent Events of job record changes (the WHATWG event-stream format), and what resuming needs. Each event
 * names its status and has the id `<job id>:<status>`, the id of the result event it comes from, so that every
 * api replica gives the same change the same id.
 */
export interface RecordEvent {
  id: string;
  status: JobStatus;
  record: JobRecord;
}

export function recordEvent(record: JobRecord): RecordEvent {
  return { id: eventId(record.id, record.status), status: record.status, record };
}

export function eventId(jobId: string, status: JobStatus): string {
  return `${jobId}:${status}`;
}

/** One event as sent; the JSON has no line breaks, so one `data:` line carries it. */
export function formatEvent(event: RecordEvent): string {
  return `event: ${event.status}\nid: ${event.id}\ndata: ${JSON.stringify(event.record)}\n\n`;
}

/** A comment: ignored by clients, it keeps proxies from closing an idle stream and shows a dead client early. */
export const KEEP_ALIVE = ': keep-alive\n\n';

/** Said instead of a replay the api cannot give: the client lists the jobs again and goes on from here. */
export function formatReset(lastEventId: string): string {
  return `event: reset\ndata: ${JSON.stringify({ reason: `the event ${lastEventId} is no longer held; list the jobs again` })}\n\n`;
}

/** A job's statuses come in this order; a terminal one is the last. */
export function statusRank(status: JobStatus): number {
  if (status === 'queued') return 0;
  if (status === 'running') return 1;
  return 2;
}

/**
 * The rank already seen by a client resuming one job's stream with `Last-Event-ID: <id>:<status>`; -1 when it
 * saw nothing of this job (no id, another job's id, or an unknown status).
 */
export function seenRank(jobId: string, lastEventId: string | undefined): number {
  if (!lastEventId) return -1;
  const at = lastEventId.lastIndexOf(':');
  const status = lastEventId.slice(at + 1) as JobStatus;
  if (at < 0 || lastEventId.slice(0, at).toLowerCase() !== jobId || !JOB_STATUSES.includes(status)) return -1;
  return statusRank(status);
}

/**
 * One job's stream: sends each status newer than any sent (a record read from the store and the events may
 * overlap or come out of order), and is done after a terminal one.
 */
export class JobEventSequence {
  private sentRank: number;

  constructor(alreadySeenRank: number) {
    this.sentRank = alreadySeenRank;
  }

  /** The event to send for this record, if it is news. */
  next(record: JobRecord): RecordEvent | undefined {
    const rank = statusRank(record.status);
    if (rank <= this.sentRank) return undefined;
    this.sentRank = rank;
    return recordEvent(record);
  }

  get done(): boolean {
    return this.sentRank >= statusRank('succeeded');
  }
}


/**
 * The recent events, oldest first, at most `capacity`: what `GET /events` replays after a `Last-Event-ID`. A
 * repeated event (RabbitMQ may deliver one twice; see ResultEvents) is kept once.
 */
export class EventRing {
  private readonly events: RecordEvent[] = [];
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** False when the event was already held (a repeat). */
  add(event: RecordEvent): boolean {
    if (this.ids.has(event.id)) return false;
    if (this.capacity === 0) return true;
    this.events.push(event);
    this.ids.add(event.id);
    if (this.events.length > this.capacity) this.ids.delete(this.events.shift()!.id);
    return true;
  }

  /** The events after the one with this id, or undefined when it is not held (any more). */
  after(id: string): RecordEvent[] | undefined {
    const at = this.events.findIndex((event) => event.id === id);
    return at < 0 ? undefined : this.events.slice(at + 1);
  }
}
