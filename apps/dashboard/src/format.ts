import type { JobRecord, JobStatus } from '../../../libs/contracts/src/job-record.js';

export const STATUS_LABELS: Record<JobStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  timed_out: 'Timed out',
  cancelled: 'Cancelled',
};

/** A span of time as people read it: "850 ms", "42 s", "3 min 5 s", "2 h 4 min", "3 d 1 h". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** How long ago a time was, at `now`: "5 s ago". */
export function formatAge(at: string, now: number): string {
  return `${formatDuration(Math.max(0, now - Date.parse(at)))} ago`;
}

/** How long the job ran: to its end, or so far while it runs; null before it started. */
export function runDuration(record: Pick<JobRecord, 'startedAt' | 'finishedAt'>, now: number): number | null {
  if (!record.startedAt) return null;
  return (record.finishedAt ? Date.parse(record.finishedAt) : now) - Date.parse(record.startedAt);
}

/** Bytes as people read them: "812 B", "1.5 KiB", "52.0 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A time in the reader's own zone, to the second. */
export function formatTime(at: string | null): string {
  return at ? new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '—';
}
