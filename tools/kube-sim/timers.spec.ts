import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { MAX_TIMEOUT_MS, Timers } from './timers.js';

describe('Timers.after', () => {
  // Jest's fake timers fire a delay above MAX_TIMEOUT_MS after 1 ms, as Node does.
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('waits the whole of a delay longer than setTimeout allows', () => {
    const timers = new Timers();
    const fired = jest.fn();
    const delay = 3 * MAX_TIMEOUT_MS + 5;
    timers.after(delay, fired);
    jest.advanceTimersByTime(1000);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(delay - 1001);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('cancels a long delay between its steps', () => {
    const timers = new Timers();
    const fired = jest.fn();
    const cancel = timers.after(2 * MAX_TIMEOUT_MS, fired);
    jest.advanceTimersByTime(MAX_TIMEOUT_MS + 1);
    cancel();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(MAX_TIMEOUT_MS);
    expect(fired).not.toHaveBeenCalled();
  });

  it('leaves no step behind on stop', () => {
    const timers = new Timers();
    const fired = jest.fn();
    timers.after(2 * MAX_TIMEOUT_MS, fired);
    jest.advanceTimersByTime(MAX_TIMEOUT_MS + 1);
    timers.stop();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(MAX_TIMEOUT_MS);
    expect(fired).not.toHaveBeenCalled();
  });
});
