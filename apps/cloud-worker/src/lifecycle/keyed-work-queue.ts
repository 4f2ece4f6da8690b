import { backoff } from '@app/observability';
import type { ExponentialBackoff, IBackoff } from 'cockatiel';

export interface KeyedWorkQueueOptions {
  /** Keys worked at the same time, across all keys; one key is never worked twice at once. */
  parallelism: number;
  /** First and largest pause before a failed key is worked again (exponential with decorrelated jitter). */
  initialDelayMs: number;
  maxDelayMs: number;
  /**
   * Told of each failure, with how many times in a row this key has failed and the backoff a retry would wait.
   * Returns `retry` to work it again after that backoff, or `now` to work it again at once (the handler has
   * changed what the next attempt does).
   */
  onFailure: (key: string, error: unknown, failure: { failures: number; retryInMs: number }) => 'retry' | 'now';
}

interface KeyState {
  /** Set while the handler runs; a trigger meanwhile marks the key to be worked again right after. */
  running: boolean;
  dirty: boolean;
  failures: number;
  backoff?: IBackoff<unknown>;
  retryTimer?: NodeJS.Timeout;
}

/**
 * The work queue of a Kubernetes controller (client-go's workqueue, controller-runtime's reconcile loop), for
 * keys worked by one async handler: triggers for a key merge into one run; a key is worked by one run at a time
 * (a trigger during a run makes one more run after it); a failing key backs off on its own, exponentially with
 * jitter up to a cap, while other keys go on. The delays come from cockatiel's backoff; what is written here is
 * only the per-key bookkeeping that no library offers for this shape.
 */
export class KeyedWorkQueue {
  private readonly keys = new Map<string, KeyState>();
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private active = 0;
  private stopped = false;
  private readonly idleWaiters = new Set<() => void>();
  private readonly backoff: ExponentialBackoff<unknown>;

  constructor(
    private readonly handler: (key: string) => Promise<void>,
    private readonly options: KeyedWorkQueueOptions,
  ) {
    this.backoff = backoff(options);
  }

  /** Asks for the key to be worked. Merges with a pending run; a key waiting out its backoff keeps waiting. */
  add(key: string): void {
    if (this.stopped) return;
    const state = this.stateOf(key);
    if (state.running) {
      state.dirty = true;
      return;
    }
    if (state.retryTimer || this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.pump();
  }

  /** Keys waiting out a backoff after failing. */
  retrying(): number {
    let count = 0;
    for (const state of this.keys.values()) if (state.retryTimer) count++;
    return count;
  }

  /** Stops taking work and resolves once the runs under way have ended; pending retries are dropped. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const state of this.keys.values()) clearTimeout(state.retryTimer);
    this.ready.length = 0;
    this.queued.clear();
    if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.add(resolve));
  }

  private stateOf(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = { running: false, dirty: false, failures: 0 }));
    return state;
  }

  private pump(): void {
    while (this.active < this.options.parallelism && this.ready.length > 0) {
      const key = this.ready.shift()!;
      this.queued.delete(key);
      void this.work(key);
    }
  }

  private async work(key: string): Promise<void> {
    const state = this.stateOf(key);
    state.running = true;
    state.dirty = false;
    this.active++;
    let next: 'done' | 'retry' | 'now';
    try {
      await this.handler(key);
      state.failures = 0;
      state.backoff = undefined;
      next = 'done';
    } catch (error) {
      state.failures++;
      state.backoff = (state.backoff ?? this.backoff).next(undefined);
      next = this.options.onFailure(key, error, { failures: state.failures, retryInMs: state.backoff.duration });
    }
    state.running = false;
    this.active--;
    if (this.stopped) {
      if (this.active === 0) for (const resolve of this.idleWaiters) resolve();
      return;
    }
    if (next === 'retry') {
      state.retryTimer = setTimeout(() => {
        state.retryTimer = undefined;
        this.add(key);
      }, state.backoff!.duration);
      state.retryTimer.unref();
    } else if (next === 'now' || state.dirty) {
      this.add(key);
    } else {
      // Nothing pending: the key's bookkeeping goes, so that the map holds only keys with work or a backoff.
      if (state.failures === 0) this.keys.delete(key);
    }
    this.pump();
  }
}
