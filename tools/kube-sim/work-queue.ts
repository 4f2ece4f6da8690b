/**
 * A controller's queue of keys to reconcile: a key added many times before it is processed is processed
 * once, processing happens off the writer's stack (never inside a store listener), and nothing runs
 * while the controllers are paused or after the simulator stopped.
 */
import type { ControllerGate } from './controller-gate.js';
import type { Timers } from './timers.js';

export class WorkQueue<K> {
  private readonly pending = new Set<K>();
  private scheduled = false;

  constructor(
    private readonly name: string,
    private readonly gate: ControllerGate,
    private readonly timers: Timers,
    private readonly reconcile: (key: K) => void,
  ) {
    gate.onResume(() => this.schedule());
  }

  add(key: K): void {
    this.pending.add(key);
    this.schedule();
  }

  addAfter(key: K, ms: number): () => void {
    return this.timers.after(ms, () => this.add(key));
  }

  private schedule(): void {
    if (this.scheduled || this.gate.isPaused || this.timers.isStopped || !this.pending.size) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    if (this.gate.isPaused || this.timers.isStopped) return;
    const keys = [...this.pending];
    this.pending.clear();
    for (const key of keys) {
      try {
        this.reconcile(key);
      } catch (error) {
        console.error(`kube-sim ${this.name}: reconciling ${String(key)} failed:`, error);
      }
    }
    this.schedule();
  }
}
