import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { JobRecord } from '../../../../libs/contracts/src/job-record.js';
import { DEFAULT_WORK_EXCHANGE, DEFAULT_WORK_QUEUE } from '../../../../libs/contracts/src/names.js';
import type { RejectionReply, WorkReply } from '../../../../libs/contracts/src/reply.js';
import { CliError, ExitCode, exitCodeOf } from '../exit-codes.js';
import { json } from '../format.js';
import type { Context } from './context.js';
import { jobSpecFields, type JobSpecFlags } from './job-spec.js';
import { printRecord, waitCommand } from './jobs.js';

/** The statuses with which the api refuses a submission itself: bad request, the id reused, too large, too many. */
export const SUBMIT_REFUSALS = [400, 409, 413, 429] as const;

export interface RequestFlags extends JobSpecFlags {
  file?: string;
  /** --arg, repeated: the container's arguments. */
  arg?: string[];
  image?: string;
  name?: string;
  inputBucket?: string;
  outputBucket?: string;
  prefix?: string;
  timeout?: number;
  id?: string;
}

/**
 * The work request: the JSON of `-f` (a file, or `-` for stdin), with each flag given put over it. Nothing is
 * checked here beyond JSON: the api and the worker check every field and name each one at fault.
 */
export async function buildRequest(flags: RequestFlags, readStdin: () => Promise<string> = stdinText): Promise<Record<string, unknown>> {
  let base: Record<string, unknown> = {};
  if (flags.file !== undefined) {
    const text = await (flags.file === '-' ? readStdin() : readFile(flags.file, 'utf8')).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`-f ${flags.file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`, ExitCode.USAGE);
    });
    try {
      base = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new CliError(`-f ${flags.file}: not JSON (${(error as Error).message})`, ExitCode.USAGE);
    }
    if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new CliError(`-f ${flags.file}: the work request must be a JSON object`, ExitCode.USAGE);
  }
  const given = {
    image: flags.image,
    jobName: flags.name,
    inputBucket: flags.inputBucket,
    outputBucket: flags.outputBucket,
    prefix: flags.prefix,
    timeOut: flags.timeout,
    id: flags.id,
  };
  const spec = jobSpecFields(flags, flags.arg);
  // --requests or --limits replace that list of -f's resources and keep the other.
  if (spec.resources) spec.resources = { ...(base.resources as object | undefined), ...spec.resources };
  const request = { ...base, ...Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)), ...spec };
  if (Object.keys(request).length === 0) throw new CliError('nothing to submit: give --image, --name, --input-bucket … or -f request.json', ExitCode.USAGE);
  return request;
}

async function stdinText(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `submit` over HTTP: `POST /jobs`; with `--wait`, followed to its end. */
export async function submitCommand(context: Context, flags: RequestFlags & { wait?: boolean }): Promise<number> {
  const request = await buildRequest(flags);
  const record = await context.client.json<JobRecord>('/jobs', { method: 'POST', json: request, refusals: SUBMIT_REFUSALS });
  if (flags.wait) return waitCommand(context, record.id);
  printRecord(context, record);
  if (context.format === 'text') context.terminal.info(`follow it: cloud-worker logs -f ${record.id}   or   cloud-worker wait ${record.id}`);
  return ExitCode.SUCCEEDED;
}

/**
 * `submit --amqp URL`: the MSTC way, without the api. The bare request as JSON to the work exchange (persistent,
 * confirmed), `reply_to` a private queue and a fresh `correlation_id` (also the `message_id`, which becomes the
 * request's id unless it has one, so that a redelivery never runs twice); then waits for the one reply.
 */
export async function submitOverAmqp(context: Context, flags: RequestFlags & { amqp: string; exchange: string; routingKey: string }): Promise<number> {
  const request = await buildRequest(flags);
  // Loaded only here: the api commands never need a broker client.
  const { default: amqp } = await import('amqplib');
  const where = flags.amqp.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  const connection = await amqp.connect(flags.amqp).catch((error: Error) => {
    throw new CliError(`cannot reach RabbitMQ at ${where}: ${error.message}`, ExitCode.UNREACHABLE);
  });
  try {
    const channel = await connection.createConfirmChannel();
    const failed = new Promise<never>((_, reject) => {
      const fail = (why: string) => reject(new CliError(`RabbitMQ at ${where}: ${why}`, ExitCode.UNREACHABLE));
      channel.on('error', (error: Error) => fail(error.message));
      channel.on('return', () => fail(`the request reached no queue: nothing is bound to ${flags.exchange} with ${flags.routingKey} (is a worker running?)`));
      connection.on('close', () => fail('the connection closed before the reply'));
    });
    failed.catch(() => undefined);
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    const correlationId = randomUUID();
    const reply = new Promise<WorkReply | RejectionReply>((resolve, reject) => {
      void channel.consume(
        queue,
        (message) => {
          if (!message || message.properties.correlationId !== correlationId) return;
          try {
            resolve(JSON.parse(message.content.toString()) as WorkReply | RejectionReply);
          } catch {
            reject(new CliError(`the reply is not JSON: ${message.content.toString().slice(0, 200)}`, ExitCode.API_ERROR));
          }
        },
        { noAck: true },
      );
    });
    channel.publish(flags.exchange, flags.routingKey, Buffer.from(JSON.stringify(request)), {
      persistent: true,
      contentType: 'application/json',
      replyTo: queue,
      correlationId,
      messageId: correlationId,
      mandatory: true,
    });
    await Promise.race([channel.waitForConfirms(), failed]);
    if (context.format === 'text') context.terminal.info(`published to ${flags.exchange} (${flags.routingKey}), correlation id ${correlationId}; waiting for the reply…`);
    const answer = await Promise.race([reply, failed]);
    const { terminal, format } = context;
    if (format === 'json') terminal.print(json(answer));
    else if (format === 'name') terminal.print(answer.id ?? correlationId);
    else terminal.print(answer.result);
    if (answer.status === 'rejected') {
      if (format === 'text') terminal.info(answer.errors.map((error) => `  ${error.field}: ${error.message}`).join('\n'));
      return ExitCode.REFUSED;
    }
    if (format === 'text' && answer.logObject) terminal.info(`log: ${answer.outputBucket}/${answer.logObject}   (cloud-worker logs ${answer.id})`);
    return exitCodeOf(answer)!;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

export const AMQP_DEFAULTS = { exchange: DEFAULT_WORK_EXCHANGE, routingKey: DEFAULT_WORK_QUEUE };
