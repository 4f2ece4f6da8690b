/** The last N changes of one resource, so that a watch can resume from a resourceVersion (or get 410). */
export class EventHistory<E extends { rv: number }> {
  private events: E[] = [];
  private start = 0;
  /** The resourceVersion of the newest change that is no longer kept. */
  private evictedUpTo = 0;

  constructor(private capacity: number) {}

  get size(): number {
    return this.events.length - this.start;
  }

  /** The oldest resourceVersion a watch can still resume from. */
  get oldestResumable(): number {
    return this.evictedUpTo;
  }

  push(event: E): void {
    this.events.push(event);
    this.trim();
  }

  resize(capacity: number): void {
    this.capacity = Math.max(0, capacity);
    this.trim();
  }

  /** Every kept change after `rv`, or undefined when some change after `rv` has been dropped. */
  since(rv: number): E[] | undefined {
    if (rv < this.evictedUpTo) return undefined;
    let low = this.start;
    let high = this.events.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.events[mid].rv <= rv) low = mid + 1;
      else high = mid;
    }
    return this.events.slice(low);
  }

  private trim(): void {
    while (this.size > this.capacity) {
      this.evictedUpTo = this.events[this.start].rv;
      this.start++;
    }
    if (this.start > 1024 && this.start * 2 > this.events.length) {
      this.events = this.events.slice(this.start);
      this.start = 0;
    }
  }
}
