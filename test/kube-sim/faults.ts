/** Fault injection: the next N requests fail with 500 or hang. (Watch drops, the 410 window and pausing live with their owners.) */
export class RequestFaults {
  private failing = 0;
  private hanging = 0;

  failNext(count: number): void {
    this.failing += Math.max(0, count);
  }

  hangNext(count: number): void {
    this.hanging += Math.max(0, count);
  }

  /** What to do with the request now arriving. */
  take(): 'fail' | 'hang' | undefined {
    if (this.hanging > 0) {
      this.hanging--;
      return 'hang';
    }
    if (this.failing > 0) {
      this.failing--;
      return 'fail';
    }
    return undefined;
  }
}
