import { isTerminal, type JobRecord } from '../../../libs/contracts/src/job-record.js';
import { colorStatus, formatDuration, runTime } from './format.js';
import type { Terminal } from './terminal.js';

/**
 * A job's progress for people: on a terminal one live line (queued for …, running for …), redrawn every second;
 * elsewhere a plain line per status, on stderr.
 */
export class StatusDisplay {
  private record: JobRecord | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly terminal: Terminal) {
    if (terminal.interactive) this.timer = setInterval(() => this.draw(), 1000).unref();
  }

  update(record: JobRecord): void {
    const changed = record.status !== this.record?.status;
    this.record = record;
    if (this.terminal.interactive) this.draw();
    else if (changed) this.terminal.info(`${new Date().toISOString()} job ${record.id} ${this.describe(record)}`);
  }

  /** Stops redrawing; on a terminal, the line stays as a plain one when the job has ended, else it goes. */
  stop(): void {
    clearInterval(this.timer);
    this.terminal.clearStatus();
    if (this.terminal.interactive && this.record && isTerminal(this.record.status)) this.terminal.info(this.describe(this.record));
  }

  private draw(): void {
    if (this.record) this.terminal.status(this.describe(this.record, this.terminal.err));
  }

  /** The status, and on the live line how long it has been in it. */
  private describe(record: JobRecord, c = this.terminal.err): string {
    const status = colorStatus(record.status, c);
    const live = this.terminal.interactive;
    if (record.status === 'queued') return live ? `${status} for ${formatDuration(Date.now() - Date.parse(record.queuedAt))}` : status;
    if (record.status === 'running') return live ? `${status} for ${formatDuration(runTime(record) ?? 0)}` : status;
    const details = [record.reason, record.exitCode === null ? null : `exit code ${record.exitCode}`].filter(Boolean).join(', ');
    const ran = runTime(record);
    return `${status}${details ? ` (${details})` : ''}${ran === undefined ? '' : ` after ${formatDuration(ran)}`}`;
  }
}
