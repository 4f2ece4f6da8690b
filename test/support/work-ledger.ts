import type { JobRecord, JobStatus } from '@app/contracts';
import type { Options } from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { Answer, ApiClient } from './http.js';
import { eventually, unchangedFor, type TestSystem } from './system.js';

/** A work request as a client sends it. */
export interface WorkRequestBody {
  image: string;
  jobName: string;
  inputBucket: string;
  outputBucket?: string;
  timeOut?: number;
  prefix?: string;
  id?: string;
}

/** How a request must end. */
export interface Expectation {
  status: JobStatus;
  /** Checked when given (null included). */
  reason?: string | null;
  /** Text its stored log must hold; null when no log may be stored (the record's `logObject` stays null). */
  log: string | null;
  /** How many times its Job is created: 1 (the default), or 0 for a request that never runs. */
  jobs?: 0 | 1;
}

export interface TrackedRequest {
  id: string;
  request: WorkRequestBody;
  /** The unique Kubernetes Job name, `<jobName>-<id>`. */
  jobName: string;
  /** Whether its reply comes to the ledger's reply queue (sent over AMQP with it as `reply_to`). */
  replyHere: boolean;
  expect: Expectation;
}

export interface SettleOptions {
  /** How long nothing more may happen once everything has ended (replies, events, Jobs): a full resync period. */
  quietMs: number;
  /** How long the terminal events may trail the end (default: quietMs + 5 s). */
  eventsWithinMs?: number;
  /** More that must stay unchanged through the quiet period, e.g. the number of dead letters. */
  alsoUnchanged?: () => unknown;
  /**
   * Replies and terminal events at least once instead of exactly once: where the test cuts RabbitMQ, a message
   * it took may lose its confirm (or its request its ack), and sending it again is the only safe answer.
   */
  atLeastOnce?: boolean;
}

const TERMINAL: readonly string[] = ['succeeded', 'failed', 'timed_out', 'cancelled'];
/** What the worker stores when it could not read a Job's log: never the right content. */
const PLACEHOLDER_LOG = 'No log could be read';
const READS_AT_ONCE = 24;
const EXAMPLES_PER_PROBLEM = 5;

/**
 * The requests a test sends, and everything the system answers for them: replies (one reply queue), result
 * events (a queue bound to `job.#`), records and logs (read from the S3 server directly) and Jobs created (the
 * simulator's request log). `expectSettled` checks that every request ended exactly as expected, once.
 */
export class WorkLedger {
  readonly tracked = new Map<string, TrackedRequest>();

  private constructor(
    private readonly system: TestSystem,
    readonly replyQueue: string,
    readonly replies: Array<{ body: Record<string, unknown>; correlationId?: string }>,
    readonly events: Array<{ routingKey: string; record: JobRecord }>,
    private readonly defaults: { request: Omit<WorkRequestBody, 'id'>; expect: Expectation },
  ) {}

  /** Opens the reply queue and the event queue; call it before any request runs. */
  static async open(system: TestSystem, defaults: { request: Omit<WorkRequestBody, 'id'>; expect: Expectation }): Promise<WorkLedger> {
    const events = await system.resultEvents();
    const { queue, replies } = await system.replyQueue();
    return new WorkLedger(system, queue, replies, events, defaults);
  }

  /**
   * Publishes a request straight to the work exchange (id, message_id and correlation_id alike, `reply_to` the
   * ledger's reply queue unless `properties` say otherwise); returns its id.
   */
  publish(overrides: Partial<WorkRequestBody> & Record<string, unknown> = {}, expect?: Partial<Expectation>, properties: Options.Publish = {}): string {
    const id = overrides.id ?? randomUUID();
    const request = { ...this.defaults.request, ...overrides, id };
    const sent = { replyTo: this.replyQueue, correlationId: id, messageId: id, ...properties };
    this.track(id, request, sent.replyTo === this.replyQueue, expect);
    this.system.publishWork(request, sent);
    return id;
  }

  /** POST /jobs with an id of its own, bounded by `timeoutMs`; tracked once the api accepts it (202). */
  async submit(api: ApiClient, overrides: Partial<WorkRequestBody> = {}, expect?: Partial<Expectation>, timeoutMs?: number): Promise<Answer<JobRecord>> {
    const id = overrides.id ?? randomUUID();
    const request = { ...this.defaults.request, ...overrides, id };
    const answer = await api.submit(request, timeoutMs);
    if (answer.status === 202) this.track(id, request, false, expect);
    return answer;
  }

  /** Follows a request sent some other way (e.g. with an id the worker derives). */
  track(id: string, request: WorkRequestBody, replyHere: boolean, expect: Partial<Expectation> = {}): TrackedRequest {
    const entry = { id, request, jobName: `${request.jobName}-${id}`, replyHere, expect: { ...this.defaults.expect, ...expect } };
    this.tracked.set(id, entry);
    return entry;
  }

  repliesTo(id: string): Array<{ body: Record<string, unknown>; correlationId?: string }> {
    return this.replies.filter((reply) => reply.body.id === id);
  }

  terminalEventsOf(id: string): Array<{ routingKey: string; record: JobRecord }> {
    return this.events.filter((event) => event.record.id === id && TERMINAL.includes(event.record.status));
  }

  /** Waits until every request has ended: replied to when its reply comes here, else its record in a terminal status. */
  async untilEnded(timeoutMs: number): Promise<void> {
    const open = new Set(this.tracked.keys());
    await eventually(async () => {
      await forEachLimited([...open], async (id) => {
        if (await this.hasEnded(this.tracked.get(id)!)) open.delete(id);
      });
      return open.size === 0;
    }, timeoutMs, 'every request to end', 250).catch((error: Error) => {
      const examples = [...open].slice(0, EXAMPLES_PER_PROBLEM).map((id) => this.tracked.get(id)!.jobName);
      throw new Error(`${error.message}: ${open.size} of ${this.tracked.size} requests have not ended, e.g. ${examples.join(', ')}`);
    });
  }

  /**
   * Checks that every request has ended once, as expected: its record, exactly one reply (when it asked),
   * exactly one terminal event, exactly one Job created, its real log stored; that nothing more happens for
   * `quietMs`; and last, that its record lists every status it reached as announced.
   */
  async expectSettled(options: SettleOptions): Promise<void> {
    const ids = [...this.tracked.keys()];
    await eventually(() => ids.every((id) => this.terminalEventsOf(id).length > 0), options.eventsWithinMs ?? options.quietMs + 5000, 'a terminal event for every request', 100).catch(
      () => undefined, // reported below, with the rest
    );
    await unchangedFor(() => ({ ...this.activity(), also: options.alsoUnchanged?.() }), options.quietMs, 'replies, events and Jobs created after every request had ended');
    const records = new Map<string, JobRecord | undefined>();
    const problems = new Problems();
    const created = this.system.jobsCreated();
    await forEachLimited(ids, async (id) => {
      const entry = this.tracked.get(id)!;
      const record = await this.system.record(id);
      records.set(id, record);
      await this.check(entry, record, created.get(entry.jobName) ?? 0, problems, options.atLeastOnce ?? false);
    });
    problems.throwIfAny(`of ${ids.length} requests`);
    for (const id of ids) {
      // The outbox of announcements (new with the reconciling worker); a record without one lacks them all.
      const record = records.get(id)! as JobRecord & { announced?: JobStatus[] };
      const missing = statusesReached(record).filter((status) => !record.announced?.includes(status));
      if (missing.length) problems.add(`record.announced lacks ${missing.join(', ')}`, `${record.jobName} (announced: ${JSON.stringify(record.announced)})`);
    }
    problems.throwIfAny(`of ${ids.length} requests`);
  }

  /** What a quiet system leaves unchanged. */
  private activity(): { replies: number; events: number; jobsCreated: number } {
    let jobsCreated = 0;
    for (const count of this.system.jobsCreated().values()) jobsCreated += count;
    return { replies: this.replies.length, events: this.events.length, jobsCreated };
  }

  private async hasEnded(entry: TrackedRequest): Promise<boolean> {
    if (entry.replyHere) return this.repliesTo(entry.id).length > 0;
    if (this.terminalEventsOf(entry.id).length > 0) return true;
    const record = await this.system.record(entry.id);
    return record !== undefined && TERMINAL.includes(record.status);
  }

  private async check(entry: TrackedRequest, record: JobRecord | undefined, created: number, problems: Problems, atLeastOnce: boolean): Promise<void> {
    const { expect } = entry;
    const name = entry.jobName;
    const once = atLeastOnce ? 'at least one' : 'exactly one';
    const wrongCount = (count: number) => (atLeastOnce ? count < 1 : count !== 1);
    if (!record) return problems.add('no record', name);
    if (record.status !== expect.status) problems.add(`record status is not ${expect.status}`, `${name}: ${record.status} (${record.reason})`);
    if (expect.reason !== undefined && record.reason !== expect.reason) problems.add(`record reason is not ${expect.reason}`, `${name}: ${record.reason}`);
    if (entry.replyHere) {
      const replies = this.repliesTo(entry.id);
      if (wrongCount(replies.length)) problems.add(`not ${once} reply`, `${name}: ${replies.length}`);
      for (const { body: reply } of replies) {
        if (reply.status !== expect.status) problems.add(`reply status is not ${expect.status}`, `${name}: ${String(reply.status)}`);
        if (expect.reason !== undefined && reply.reason !== expect.reason) problems.add(`reply reason is not ${expect.reason}`, `${name}: ${String(reply.reason)}`);
      }
    }
    const terminal = this.terminalEventsOf(entry.id);
    if (wrongCount(terminal.length)) problems.add(`not ${once} terminal event`, `${name}: ${terminal.map((e) => e.routingKey).join(', ') || 'none'}`);
    for (const event of terminal) {
      if (event.routingKey !== `job.${expect.status}`) problems.add(`terminal event is not job.${expect.status}`, `${name}: ${event.routingKey}`);
      if (expect.reason !== undefined && event.record.reason !== expect.reason) problems.add(`terminal event reason is not ${expect.reason}`, `${name}: ${event.record.reason}`);
    }
    const jobs = expect.jobs ?? 1;
    if (created !== jobs) problems.add(`Job not created exactly ${jobs === 1 ? 'once' : 'never'}`, `${name}: ${created}`);
    await this.checkLog(entry, record, problems);
  }

  private async checkLog(entry: TrackedRequest, record: JobRecord, problems: Problems): Promise<void> {
    const name = entry.jobName;
    if (entry.expect.log === null) {
      if (record.logObject !== null) problems.add('a log object where none may be stored', `${name}: ${record.logObject}`);
      return;
    }
    const planned = `${entry.request.prefix ? `${entry.request.prefix}-` : ''}${name}.log`;
    if (record.logObject !== planned) return problems.add('record does not name its log object', `${name}: ${record.logObject}`);
    const bucket = entry.request.outputBucket ?? entry.request.inputBucket;
    const text = await this.system.objectText(bucket, planned).catch((error: Error) => `(unreadable: ${error.message})`);
    if (text.includes(PLACEHOLDER_LOG)) problems.add('log is the placeholder, not the real log', `${name}: ${JSON.stringify(text.slice(0, 120))}`);
    else if (!text.includes(entry.expect.log)) problems.add(`log lacks ${JSON.stringify(entry.expect.log)}`, `${name}: ${JSON.stringify(text.slice(0, 120))}`);
  }
}

/** The statuses a record has passed through, each of which must have been announced: queued, running (when it ran), its end. */
export function statusesReached(record: JobRecord): JobStatus[] {
  return [
    'queued' as const,
    ...(record.startedAt ? (['running'] as const) : []),
    ...(TERMINAL.includes(record.status) ? [record.status] : []),
  ];
}

/** Problems grouped by kind, each with a count and a few examples, so that a failure over 1,000 requests stays readable. */
class Problems {
  private readonly byKind = new Map<string, string[]>();

  add(kind: string, example: string): void {
    const examples = this.byKind.get(kind) ?? [];
    examples.push(example);
    this.byKind.set(kind, examples);
  }

  throwIfAny(of: string): void {
    if (this.byKind.size === 0) return;
    const lines = [...this.byKind].map(([kind, examples]) => `${kind}: ${examples.length} ${of}, e.g. ${examples.slice(0, EXAMPLES_PER_PROBLEM).join('; ')}`);
    throw new Error(lines.join('\n'));
  }
}

async function forEachLimited<T>(items: T[], task: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += READS_AT_ONCE) await Promise.all(items.slice(start, start + READS_AT_ONCE).map(task));
}
