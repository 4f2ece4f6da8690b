import type { JobStatus } from './job-record.js';

// What `GET /jobs/summary` answers: the dashboard's tab counts and its chart of the last hour. Plain types, no
// imports of Node or Nest: the dashboard (apps/dashboard) imports this file in browsers.

export type TerminalStatus = 'succeeded' | 'failed' | 'timed_out' | 'cancelled';

/** How many jobs ended in one minute, by how they ended; `minute` is its start (ISO 8601). */
export type FinishedInMinute = { minute: string } & Record<TerminalStatus, number>;

export interface JobsSummary {
  generatedAt: string;
  /** Jobs per status and in all, each counted up to `countLimit`. */
  counts: Record<JobStatus | 'all', number>;
  /** A count equal to this means at least that many. */
  countLimit: number;
  /** The last LOAD_WINDOW_MINUTES minutes, oldest first; the last is the current minute, so far. */
  finishedPerMinute: FinishedInMinute[];
}

export const LOAD_WINDOW_MINUTES = 60;
