import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import type { JobRecord } from '../../../../libs/contracts/src/job-record.js';
import { isTerminal } from '../../../../libs/contracts/src/job-record.js';
import type { OutputList } from '../api-client.js';
import { CliError, ExitCode, exitCodeOf } from '../exit-codes.js';
import { formatBytes, json, recordText } from '../format.js';
import { followJob, streamLog } from '../job-events.js';
import { StatusDisplay } from '../status-display.js';
import { collectInputs, downloadOutputs, uploadInputs } from '../transfer.js';
import type { Context } from './context.js';
import { jobSpecFields, type JobSpecFlags } from './job-spec.js';
import { printOutputs } from './jobs.js';
import { SUBMIT_REFUSALS } from './submit.js';

/** Where `run` puts inputs when no --input-bucket is given. */
export const DEFAULT_BUCKET = 'cloud-worker-data';

export interface RunOptions extends JobSpecFlags {
  name: string;
  input: string[];
  inputBucket: string;
  outputBucket?: string;
  prefix?: string;
  timeout?: number;
  out?: string;
  detach?: boolean;
  cancelOnInterrupt?: boolean;
}

/** A prefix of its own for each run: `<name>-<UTC date and time>-<4 random hex digits>`, e.g. `sum-20261205-130501-a1b2`. */
export function generatedPrefix(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${name}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/**
 * `run IMAGE --name NAME …`: uploads the inputs, submits, follows the status and the log, downloads the outputs and
 * sums up; exits as the job did. Ctrl-C detaches (the job runs on) or, with --cancel-on-interrupt, cancels it.
 */
export async function runCommand(context: Context, image: string, args: string[], options: RunOptions): Promise<number> {
  const { client, terminal } = context;
  const { inputBucket } = options;
  const prefix = options.prefix ?? generatedPrefix(options.name);
  const interrupt = new AbortController();
  let jobId: string | undefined;
  const onSigint = () => interrupt.abort(new Interrupted());
  process.on('SIGINT', onSigint);
  try {
    const files = await collectInputs(options.input, prefix);
    if (files.length > 0) {
      await uploadInputs(client, terminal, inputBucket, files, interrupt.signal);
      terminal.info(`uploaded ${files.length} file${files.length === 1 ? '' : 's'} (${formatBytes(files.reduce((sum, file) => sum + file.size, 0))}) to ${inputBucket}/${prefix}/`);
      // The worker tells outputs from inputs in one bucket by time: S3's LastModified, in whole seconds, against the
      // record's queuedAt. Submitting in a later second than the last upload keeps the inputs from counting.
      if (!options.outputBucket || options.outputBucket === inputBucket) await nextSecond(interrupt.signal);
    }
    const request = { id: randomUUID(), image, jobName: options.name, inputBucket, outputBucket: options.outputBucket, prefix, timeOut: options.timeout, ...jobSpecFields(options, args) };
    const submitted = await client.json<JobRecord>('/jobs', { method: 'POST', json: request, refusals: SUBMIT_REFUSALS, signal: interrupt.signal });
    jobId = submitted.id;
    if (options.detach) {
      if (context.format === 'text') terminal.info(`submitted job ${jobId}; follow it: cloud-worker logs -f ${jobId}   or   cloud-worker wait ${jobId}`);
      printSubmitted(context, submitted);
      return ExitCode.SUCCEEDED;
    }
    terminal.info(`submitted job ${jobId} (${submitted.jobName})`);
    const record = await follow(context, submitted, interrupt.signal);
    let paths: string[] | undefined;
    const list = await client.json<OutputList>(`/jobs/${jobId}/outputs`, { signal: interrupt.signal }).catch((error: unknown) => {
      if (error instanceof CliError && error.exitCode === ExitCode.NOT_FOUND) return undefined;
      throw error;
    });
    if (list && options.out && list.outputs.length > 0) paths = await downloadOutputs(client, terminal, list.outputs, options.out, interrupt.signal);
    summarise(context, record, list, paths, options.out);
    return exitCodeOf(record)!;
  } catch (error) {
    if (!interrupt.signal.aborted) throw error;
    return interrupted(context, jobId, options.cancelOnInterrupt);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Resolves a little after the wall clock's next whole second. */
function nextSecond(signal: AbortSignal): Promise<void> {
  return setTimeout(1000 - (Date.now() % 1000) + 20, undefined, { signal });
}

class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

/** The status line and the log, together, until the job has ended and its whole log is out. */
async function follow(context: Context, submitted: JobRecord, signal: AbortSignal): Promise<JobRecord> {
  const { client, terminal } = context;
  const display = new StatusDisplay(terminal);
  // The log goes to stdout, whole lines at a time under the status line; with -o json|name, to stderr.
  const toOut = context.format === 'text';
  let partial = '';
  const writeLog = (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    if (lines.length) (toOut ? terminal.write.bind(terminal) : terminal.writeErr.bind(terminal))(`${lines.join('\n')}\n`);
  };
  let logDone: Promise<void> | undefined;
  const startLog = () =>
    (logDone ??= streamLog(client, submitted.id, { follow: true, signal }, writeLog).catch((error: unknown) => {
      // An interrupt ends the status's follow too, which handles it.
      if (signal.aborted) return;
      // The job matters more than its log: say why the log is missing, and go on.
      terminal.info(`the log could not be followed: ${(error as Error).message}`);
    }));
  try {
    display.update(submitted);
    const record = await followJob(
      client,
      submitted.id,
      (update) => {
        display.update(update);
        if (update.status !== 'queued') void startLog();
      },
      signal,
    );
    await startLog();
    if (partial) writeLog('\n');
    return record;
  } finally {
    display.stop();
  }
}

function printSubmitted(context: Context, record: JobRecord): void {
  if (context.format === 'json') context.terminal.print(json(record));
  else context.terminal.print(record.id);
}

/** How it ended: the record, the log, the outputs (and where they were saved). */
function summarise(context: Context, record: JobRecord, list: OutputList | undefined, paths: string[] | undefined, outDir: string | undefined): void {
  const { terminal, format } = context;
  if (format === 'json') return terminal.print(json({ ...record, ...(list && { outputs: list.outputs.map((output, index) => ({ ...output, ...(paths && { path: paths[index] }) })) }) }));
  if (format === 'name') return terminal.print(record.id);
  terminal.print(`\n${recordText(record, terminal.out)}`);
  if (paths) printOutputs(context, list!, paths);
  else if (list && list.outputs.length > 0) terminal.info(`download them: cloud-worker outputs ${record.id} --out DIR`);
  if (outDir && list && list.outputs.length === 0) terminal.info(`no outputs to download into ${outDir}`);
}

/** Ctrl-C: the job runs on (say how to follow it again), or is cancelled with --cancel-on-interrupt. */
async function interrupted(context: Context, jobId: string | undefined, cancel: boolean | undefined): Promise<number> {
  const { client, terminal } = context;
  if (!jobId) {
    terminal.info('interrupted: nothing was submitted');
    return ExitCode.INTERRUPTED;
  }
  if (cancel) {
    const record = await client.json<JobRecord>(`/jobs/${jobId}`, { method: 'DELETE' }).catch(async (error: unknown) => {
      // Ended meanwhile (409): it keeps its own end.
      if (error instanceof CliError && error.exitCode === ExitCode.API_ERROR) return client.getJob(jobId);
      throw error;
    });
    terminal.info(isTerminal(record.status) && record.status !== 'cancelled' ? `job ${jobId} had already ended: ${record.status}` : `cancelled job ${jobId}`);
    return exitCodeOf(record) ?? ExitCode.CANCELLED;
  }
  terminal.info(`\ndetached: job ${jobId} keeps running. Follow it again with:\n  cloud-worker logs -f ${jobId}\n  cloud-worker wait ${jobId}\n  cloud-worker outputs ${jobId} --out DIR`);
  return ExitCode.INTERRUPTED;
}
