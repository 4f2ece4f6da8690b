import { isTerminal, LOAD_WINDOW_MINUTES, type FinishedInMinute, type JobRecord, type TerminalStatus } from '@app/contracts';

const MINUTE_MS = 60_000;

type Counts = Record<TerminalStatus, number>;

const noCounts = (): Counts => ({ succeeded: 0, failed: 0, timed_out: 0, cancelled: 0 });

/**
 * Jobs ended per minute over the last hour, by owner and by how they ended, from the records it is shown (the
 * results events, and a scan of the store at start). Each job counts once, in the minute of its `finishedAt`,
 * however often it is shown; what is older than the window is let go.
 */
export class FinishedTally {
  /** Minute start → owner ('' for records without one) → counts. */
  private readonly minutes = new Map<number, Map<string, Counts>>();
  /** The jobs counted, with their minute, so that a repeated end counts once. */
  private readonly counted = new Map<string, number>();
  /** The window's first minute when minutes before it were last let go: they are let go once per minute. */
  private keptFrom = 0;

  /** Counts an ended record that falls in the window at `now`; true when it was not counted before. */
  add(record: Pick<JobRecord, 'id' | 'status' | 'finishedAt' | 'owner'>, now: number): boolean {
    if (!isTerminal(record.status) || !record.finishedAt || this.counted.has(record.id)) return false;
    const minute = minuteOf(Date.parse(record.finishedAt));
    if (minute < windowStart(now) || minute > minuteOf(now)) return false;
    this.forgetBefore(now);
    const byOwner = this.minutes.get(minute) ?? new Map<string, Counts>();
    this.minutes.set(minute, byOwner);
    const counts = byOwner.get(record.owner ?? '') ?? noCounts();
    byOwner.set(record.owner ?? '', counts);
    counts[record.status as TerminalStatus] += 1;
    this.counted.set(record.id, minute);
    return true;
  }

  /** The window's minutes at `now`, oldest first, for one owner or (undefined) for all. */
  series(now: number, owner?: string): FinishedInMinute[] {
    this.forgetBefore(now);
    return Array.from({ length: LOAD_WINDOW_MINUTES }, (_, index) => {
      const minute = windowStart(now) + index * MINUTE_MS;
      const counts = noCounts();
      for (const [whose, tally] of this.minutes.get(minute) ?? []) {
        if (owner !== undefined && whose !== owner) continue;
        for (const status of Object.keys(counts) as TerminalStatus[]) counts[status] += tally[status];
      }
      return { minute: new Date(minute).toISOString(), ...counts };
    });
  }

  private forgetBefore(now: number): void {
    const start = windowStart(now);
    if (start === this.keptFrom) return;
    this.keptFrom = start;
    for (const minute of this.minutes.keys()) if (minute < start) this.minutes.delete(minute);
    for (const [id, minute] of this.counted) if (minute < start) this.counted.delete(id);
  }
}

function minuteOf(at: number): number {
  return Math.floor(at / MINUTE_MS) * MINUTE_MS;
}

/** The first minute of the window that ends with the minute `now` is in. */
function windowStart(now: number): number {
  return minuteOf(now) - (LOAD_WINDOW_MINUTES - 1) * MINUTE_MS;
}
