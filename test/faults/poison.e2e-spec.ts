import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { eventually, napImages, type DeadLetter, TestSystem } from '../support/system.js';
import { WorkLedger } from '../support/work-ledger.js';

const RESYNC_SECONDS = 3;
const QUIET_MS = RESYNC_SECONDS * 1000;
const GOOD = { image: 'nap/1s', jobName: 'poison', inputBucket: 'poison.outputs' };
const SUCCEEDED = { status: 'succeeded', reason: null, log: 'Exiting with code 0' } as const;
const INVALID = 'Invalid work request: ';
const UNREADABLE = 'Unreadable message: ';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Messages no worker can run, each with what its dead-letter reason must say (the contract's messages, libs/contracts). */
const POISON: Array<[what: string, body: unknown, reasonHas: string[]]> = [
  ['not JSON', '{"image": "mstc/python-test",', [UNREADABLE, 'not JSON']],
  ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]), [UNREADABLE, 'not JSON']],
  // Over MAX_REQUEST_BYTES (64 KiB), JSON or not: refused before it is read.
  ['5 MB that is not JSON', 'x'.repeat(5 * 1024 * 1024), [UNREADABLE, 'larger than the limit of 65536 bytes']],
  ['5 MB of a valid request', { ...GOOD, padding: 'p'.repeat(5 * 1024 * 1024) }, [UNREADABLE, 'larger than the limit of 65536 bytes']],
  ['a JSON array', [GOOD], [INVALID, 'the work request must be a JSON object']],
  ['JSON null', null, [INVALID, 'the work request must be a JSON object']],
  ['a Nest envelope of another pattern', { pattern: 'mstc.other', data: GOOD }, [UNREADABLE, 'unknown message pattern "mstc.other"']],
  ['no fields', {}, [INVALID, 'image is required', 'jobName is required', 'inputBucket is required']],
  [
    'every field of the wrong type',
    { image: 42, jobName: true, inputBucket: ['x'], outputBucket: 7, timeOut: '10', prefix: 5, id: 12 },
    [INVALID, 'image must be a string', 'jobName must be a string', 'inputBucket must be a string', 'outputBucket must be a string', 'timeOut must be an integer', 'prefix must be a string', 'id must be a UUID'],
  ],
  ['image', { ...GOOD, image: 'not an image!' }, [INVALID, 'image must be an OCI image reference']],
  ['jobName', { ...GOOD, jobName: 'Bad_Name' }, [INVALID, 'jobName must be a lowercase RFC 1123 label']],
  ['jobName too long', { ...GOOD, jobName: 'a'.repeat(27) }, [INVALID, 'jobName must be 1 to 26 characters long']],
  ['inputBucket', { ...GOOD, inputBucket: 'In_Bucket' }, [INVALID, 'inputBucket may only contain lowercase letters']],
  ['outputBucket', { ...GOOD, outputBucket: 'x' }, [INVALID, 'outputBucket must be 3 to 63 characters long']],
  ['timeOut below 0', { ...GOOD, timeOut: -1 }, [INVALID, 'timeOut must be 0 or more minutes']],
  ['timeOut not whole', { ...GOOD, timeOut: 1.5 }, [INVALID, 'timeOut must be an integer number of minutes']],
  ['timeOut above the limit', { ...GOOD, timeOut: 100_000 }, [INVALID, 'timeOut must be at most 1440 minutes']],
  ['prefix', { ...GOOD, prefix: 'a b' }, [INVALID, 'prefix may only contain']],
  ['an id field that is not a UUID', { ...GOOD, id: 'order-42' }, [INVALID, 'id must be a UUID']],
];

describe('poison messages and requests that can never finish', () => {
  let system: TestSystem;
  let deadLetters: DeadLetter[];

  beforeAll(async () => {
    system = await TestSystem.start({
      api: false,
      env: {
        // One at a time: a message that never lets go of its slot stops everything behind it.
        CONCURRENCY: '1',
        RESYNC_SECONDS: String(RESYNC_SECONDS),
        JOB_TTL_SECONDS: '2',
        MAX_FAILED_ATTEMPTS: '3',
        RETRY_BASE_DELAY_MS: '100',
        RETRY_MAX_DELAY_MS: '1000',
      },
      sim: { images: napImages({ 'nap/1s': 1000 }) },
    });
    deadLetters = await system.deadLetters();
  });
  afterAll(() => system?.stop());

  const openLedger = (jobName = 'poison') => WorkLedger.open(system, { request: { ...GOOD, jobName }, expect: SUCCEEDED });

  it('dead-letters each with its reason, once, answers it, and runs the valid requests among and behind them', async () => {
    const ledger = await openLedger();
    const sent = new Map<string, { what: string; content: Buffer; reasonHas: string[] }>();
    for (const [what, body, reasonHas] of POISON) {
      const correlationId = randomUUID();
      const content = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      sent.set(correlationId, { what, content, reasonHas });
      system.publishWork(content, { correlationId, replyTo: ledger.replyQueue });
    }
    // Valid, though odd: ids that are not UUIDs.
    const messageId = `order-${randomUUID().slice(0, 8)}`;
    const copies = [randomUUID(), randomUUID()];
    for (const correlationId of copies) system.publishWork(GOOD, { messageId, correlationId, replyTo: ledger.replyQueue });
    const oddCorrelation = `client-${randomUUID().slice(0, 8)}`;
    system.publishWork(GOOD, { correlationId: oddCorrelation, replyTo: ledger.replyQueue });
    for (let i = 0; i < 3; i++) ledger.publish();

    await eventually(() => deadLetters.length >= POISON.length, 30_000, 'every poison message dead-lettered');
    // A correlation_id that is not a UUID names no request: it runs under a fresh id.
    const odd = await eventually(() => ledger.replies.find((reply) => reply.correlationId === oddCorrelation), 30_000, 'the reply to the odd correlation_id');
    expect(odd.body.id).toMatch(UUID);
    ledger.track(odd.body.id as string, GOOD, true);
    // A message_id that is not a UUID becomes one, the same each time: the second copy finds the first one's Job.
    const copyReplies = await eventually(() => {
      const found = copies.map((c) => ledger.replies.find((reply) => reply.correlationId === c));
      return found.every(Boolean) && found.map((reply) => reply!.body);
    }, 30_000, 'both copies answered');
    const derived = copyReplies[0].id as string;
    expect(derived).toMatch(UUID);
    expect(copyReplies.map((reply) => [reply.id, reply.status])).toEqual([[derived, 'succeeded'], [derived, 'succeeded']]);
    expect(system.jobsCreated().get(`poison-${derived}`)).toBe(1);

    await ledger.untilEnded(30_000);
    expect(deadLetters).toHaveLength(POISON.length);
    for (const letter of deadLetters) {
      const poison = sent.get(letter.properties.correlationId as string);
      expect(poison).toBeDefined();
      const { what, content, reasonHas } = poison!;
      // Kept as it came, with the reason.
      expect({ what, same: letter.content.equals(content) }).toEqual({ what, same: true });
      for (const part of reasonHas) expect({ what, reason: letter.reason }).toEqual({ what, reason: expect.stringContaining(part) });
      const replies = ledger.replies.filter((reply) => reply.correlationId === letter.properties.correlationId);
      expect({ what, replies: replies.map((reply) => reply.body) }).toEqual({ what, replies: [expect.objectContaining({ status: 'rejected', reason: letter.reason })] });
    }
    // No poison message made a Job.
    const expectedJobs = [...ledger.tracked.values()].map((entry) => entry.jobName).concat(`poison-${derived}`);
    expect([...system.jobsCreated().keys()].sort()).toEqual(expectedJobs.sort());
    // Nothing loops: no dead letter, reply, event or Job more for a whole resync period.
    await ledger.expectSettled({ quietMs: QUIET_MS, alsoUnchanged: () => deadLetters.length });
  }, 120_000);

  it('a request whose output bucket the store denies ends failed (LogNotStored), says so, and frees its slot', async () => {
    const ledger = await openLedger('denied');
    system.s3.deny('denied.outputs');
    try {
      const denied = ledger.publish({ outputBucket: 'denied.outputs' }, { status: 'failed', reason: 'LogNotStored', log: null });
      // With one slot, this runs only once the denied one has let go of it.
      ledger.publish({ outputBucket: 'allowed.outputs' });
      await ledger.untilEnded(30_000);
      await ledger.expectSettled({ quietMs: QUIET_MS });
      expect(ledger.repliesTo(denied)[0].body.result).toContain('LogNotStored');
    } finally {
      system.s3.allow('denied.outputs');
    }
  }, 90_000);

  it('a request that can get no record is tried a few times, then dead-lettered with the reason', async () => {
    const ledger = await openLedger('recordless');
    const before = deadLetters.length;
    const correlationId = randomUUID();
    system.s3.deny(system.names.recordsBucket);
    try {
      system.publishWork({ ...GOOD, jobName: 'recordless', id: correlationId }, { correlationId, replyTo: ledger.replyQueue });
      const letter = await eventually(() => deadLetters.slice(before).find((l) => l.properties.correlationId === correlationId), 20_000, 'the request dead-lettered');
      expect(letter.reason).toEqual(expect.any(String));
      const reply = await eventually(() => ledger.replies.find((r) => r.correlationId === correlationId), 5000, 'its rejection');
      expect(reply.body).toMatchObject({ status: 'rejected', id: correlationId, reason: letter.reason });
    } finally {
      system.s3.allow(system.names.recordsBucket);
    }
    // The worker carries on once the store lets it write records again.
    ledger.publish();
    await ledger.untilEnded(30_000);
    await ledger.expectSettled({ quietMs: QUIET_MS, alsoUnchanged: () => deadLetters.length });
    expect(system.jobsCreated().get(`recordless-${correlationId}`)).toBeUndefined();
  }, 90_000);

  it('leaves nothing behind in the work queue', async () => {
    // A message the worker still held would go back to the queue with it.
    await Promise.all(system.workers.map((worker) => worker.kill('SIGKILL')));
    await eventually(async () => (await system.channel.checkQueue(system.names.workQueue)).consumerCount === 0, 10_000, 'the worker gone');
    expect((await system.channel.checkQueue(system.names.workQueue)).messageCount).toBe(0);
  });
});
