import type { JobRecord, JobStatus } from '../../../libs/contracts/src/job-record.js';
import type { Colors } from './terminal.js';

export const OUTPUT_FORMATS = ['text', 'json', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A status as a word in its colour: green for done, red for failures, yellow for waiting, cyan for running. */
export function colorStatus(status: JobStatus | string, c: Colors): string {
  switch (status) {
    case 'succeeded':
      return c.green(status);
    case 'failed':
    case 'timed_out':
      return c.red(status);
    case 'cancelled':
      return c.magenta(status);
    case 'running':
      return c.cyan(status);
    default:
      return c.yellow(status);
  }
}

/** `850 ms`, `4.2 s`, `3 min 12 s`, `2 h 5 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** `512 B`, `1.5 kB`, `52.4 MB` (decimal units, as S3 consoles show them). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  do {
    value /= 1000;
    unit++;
  } while (value >= 1000 && unit < units.length - 1);
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** How long a job ran (or has been running, at `now`); undefined before it started. */
export function runTime(record: Pick<JobRecord, 'startedAt' | 'finishedAt' | 'queuedAt'>, now = Date.now()): number | undefined {
  const from = record.startedAt ?? (record.finishedAt ? record.queuedAt : null);
  if (!from) return undefined;
  return (record.finishedAt ? Date.parse(record.finishedAt) : now) - Date.parse(from);
}

/** `5 s ago`, `3 min ago`, `2 h ago`, `4 d ago`. */
export function formatAge(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/**
 * Rows under a header, each column as wide as its widest cell. Cells may be coloured: widths are measured without
 * escape codes. (A padEnd loop: a table library would add a dependency for ten lines.)
 */
export function table(header: string[], rows: string[][], c: Colors): string {
  const visible = (cell: string) => cell.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => visible(row[column] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column] - visible(cell))))
      .join('  ')
      .trimEnd();
  return [c.bold(line(header)), ...rows.map(line)].join('\n');
}

/** `ls` as a table: newest first, as the api lists them. */
export function jobTable(records: JobRecord[], c: Colors, now = Date.now()): string {
  const rows = records.map((record) => {
    const ran = runTime(record, now);
    return [
      record.id,
      record.request.jobName,
      colorStatus(record.status, c),
      record.reason ?? '',
      record.exitCode === null ? '' : String(record.exitCode),
      formatAge(record.queuedAt, now),
      ran === undefined ? '' : formatDuration(ran),
      record.request.image,
    ];
  });
  return table(['ID', 'NAME', 'STATUS', 'REASON', 'EXIT', 'SUBMITTED', 'DURATION', 'IMAGE'], rows, c);
}

/** One record for people: a line per field that has a value. */
export function recordText(record: JobRecord, c: Colors, now = Date.now()): string {
  const ran = runTime(record, now);
  const fields: Array<[string, string | null | undefined]> = [
    ['id', record.id],
    ['job', record.jobName],
    ['status', colorStatus(record.status, c)],
    ['reason', record.reason],
    ['exit code', record.exitCode === null ? null : String(record.exitCode)],
    ['image', record.request.image],
    ['input bucket', record.request.inputBucket],
    ['output bucket', record.outputBucket],
    ['prefix', record.request.prefix],
    ['time-out', `${record.request.timeOut} min`],
    ['owner', record.owner],
    ['queued', record.queuedAt],
    ['started', record.startedAt],
    ['finished', record.finishedAt],
    ['duration', ran === undefined ? null : formatDuration(ran)],
    ['log object', record.logObject],
    ['outputs', record.outputs ? record.outputs.map((output) => `${output.name} (${formatBytes(output.size)})`).join(', ') || 'none' : null],
  ];
  return fields
    .filter((field): field is [string, string] => field[1] !== null && field[1] !== undefined)
    .map(([name, value]) => `${c.dim(`${name}:`.padEnd(15))}${value}`)
    .join('\n');
}

/** JSON as the CLI prints it: two-space indented, the api's own field names, so that scripts can rely on them. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
