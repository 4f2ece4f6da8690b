/** The longest delay setTimeout honours; beyond it Node fires after 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Tracks every timer the simulator starts, so that `stop()` leaves none behind. */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  private stopped = false;

  /** Runs `fn` after `ms` (a longer wait than setTimeout allows goes in steps); returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void {
    if (this.stopped) return () => {};
    let timer: NodeJS.Timeout;
    const wait = (remaining: number) => {
      timer = setTimeout(() => {
        this.pending.delete(timer);
        if (remaining > MAX_TIMEOUT_MS) wait(remaining - MAX_TIMEOUT_MS);
        else fn();
      }, Math.min(Math.max(0, remaining), MAX_TIMEOUT_MS));
      this.pending.add(timer);
    };
    wait(ms);
    return () => {
      clearTimeout(timer);
      this.pending.delete(timer);
    };
  }

  /** Resolves after `ms`, or never once the simulator stops. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  every(ms: number, fn: () => void): () => void {
    if (this.stopped) return () => {};
    const timer = setInterval(fn, ms);
    this.pending.add(timer);
    return () => {
      clearInterval(timer);
      this.pending.delete(timer);
    };
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
