/** Pausing and resuming every controller and the kubelet at once (fault injection). */
export class ControllerGate {
  private paused = false;
  private waiters: Array<() => void> = [];
  private readonly resumeListeners = new Set<() => void>();

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
    for (const listener of this.resumeListeners) listener();
  }

  /** Resolves at once, or when the controllers resume. */
  whenOpen(): Promise<void> {
    return this.paused ? new Promise((resolve) => this.waiters.push(resolve)) : Promise.resolve();
  }

  onResume(listener: () => void): void {
    this.resumeListeners.add(listener);
  }
}
