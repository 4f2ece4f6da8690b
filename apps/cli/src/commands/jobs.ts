import type { JobRecord } from '../../../../libs/contracts/src/job-record.js';
import { JOB_STATUSES } from '../../../../libs/contracts/src/job-record.js';
import type { OutputList } from '../api-client.js';
import { CliError, ExitCode, exitCodeOf } from '../exit-codes.js';
import { formatBytes, json, jobTable, recordText, table } from '../format.js';
import { followJob, streamLog } from '../job-events.js';
import { StatusDisplay } from '../status-display.js';
import { downloadOutputs } from '../transfer.js';
import type { Context } from './context.js';

/** A record in the chosen format. */
export function printRecord(context: Context, record: JobRecord): void {
  const { terminal, format } = context;
  if (format === 'json') terminal.print(json(record));
  else if (format === 'name') terminal.print(record.id);
  else terminal.print(recordText(record, terminal.out));
}

/** `get ID|@latest`. */
export async function getCommand(context: Context, id: string): Promise<number> {
  printRecord(context, await resolveJob(context, id));
  return ExitCode.SUCCEEDED;
}

/** A job by id, or `@latest`: the caller's newest. */
export async function resolveJob(context: Context, id: string): Promise<JobRecord> {
  return id === '@latest' ? latest(context) : context.client.getJob(id);
}

/** The id itself, or for `@latest` the newest job's: one request less where only the id is needed. */
export async function resolveId(context: Context, id: string): Promise<string> {
  return id === '@latest' ? (await latest(context)).id : id;
}

async function latest(context: Context): Promise<JobRecord> {
  const { jobs } = await context.client.listJobs({ limit: 1 });
  if (jobs.length === 0) throw new CliError('@latest: there are no jobs yet', ExitCode.NOT_FOUND);
  return jobs[0];
}

/** `ls [--status a,b] [--limit N]`: pages through the api until N records. */
export async function listCommand(context: Context, options: { status?: string; limit: number }): Promise<number> {
  const status = options.status?.split(',').map((part) => part.trim()).filter(Boolean);
  const unknown = status?.filter((part) => part !== 'all' && !(JOB_STATUSES as readonly string[]).includes(part));
  if (unknown?.length) throw new CliError(`--status ${unknown.join(',')}: not a status (${JOB_STATUSES.join(', ')}, all)`, ExitCode.USAGE);
  const records: JobRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await context.client.listJobs({ status: status?.join(','), limit: Math.min(100, options.limit - records.length), cursor });
    records.push(...page.jobs);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && records.length < options.limit);
  const { terminal, format } = context;
  if (format === 'json') terminal.print(json(records));
  else if (format === 'name') records.forEach((record) => terminal.print(record.id));
  else if (records.length === 0) terminal.info(status ? `no ${status.join(' or ')} jobs` : 'no jobs yet');
  else terminal.print(jobTable(records, terminal.out));
  return ExitCode.SUCCEEDED;
}

/** `logs ID [-f] [--tail N]`: the log as it is, or followed to the job's end. */
export async function logsCommand(context: Context, id: string, options: { follow?: boolean; tail?: number }): Promise<number> {
  await streamLog(context.client, await resolveId(context, id), options, (text) => context.terminal.write(text));
  return ExitCode.SUCCEEDED;
}

/** `wait ID`: follows the job to its end; exits as the job did. */
export async function waitCommand(context: Context, id: string): Promise<number> {
  const display = new StatusDisplay(context.terminal);
  const jobId = await resolveId(context, id);
  let record: JobRecord;
  try {
    record = await followJob(context.client, jobId, (update) => display.update(update));
  } finally {
    display.stop();
  }
  printRecord(context, record);
  return exitCodeOf(record)!;
}

/** `cancel ID`. */
export async function cancelCommand(context: Context, id: string): Promise<number> {
  const record = await context.client.json<JobRecord>(`/jobs/${await resolveId(context, id)}`, { method: 'DELETE' });
  printRecord(context, record);
  return ExitCode.SUCCEEDED;
}

/** `outputs ID [--out DIR]`: lists a job's outputs, and downloads them into DIR. */
export async function outputsCommand(context: Context, id: string, options: { out?: string }): Promise<number> {
  const list = await context.client.json<OutputList>(`/jobs/${await resolveId(context, id)}/outputs`);
  const paths = options.out ? await downloadOutputs(context.client, context.terminal, list.outputs, options.out) : undefined;
  printOutputs(context, list, paths);
  return ExitCode.SUCCEEDED;
}

export function printOutputs(context: Context, list: OutputList, paths: string[] | undefined): void {
  const { terminal, format } = context;
  const outputs = list.outputs.map((output, index) => ({ ...output, ...(paths && { path: paths[index] }) }));
  if (format === 'json') return terminal.print(json({ ...list, outputs }));
  if (format === 'name') return outputs.forEach((output) => terminal.print(output.path ?? output.name));
  if (outputs.length === 0) return terminal.info(`no outputs in ${list.outputBucket}`);
  const header = ['NAME', 'SIZE', 'MODIFIED', ...(paths ? ['SAVED AS'] : [])];
  terminal.print(table(header, outputs.map((output) => [output.name, formatBytes(output.size), output.lastModified, ...(output.path ? [output.path] : [])]), terminal.out));
}
