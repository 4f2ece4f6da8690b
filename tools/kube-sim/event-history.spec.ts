import { describe, expect, it } from '@jest/globals';
import { EventHistory } from './event-history.js';

describe('event history', () => {
  it('replays what came after a resourceVersion, and nothing once it is out of the window', () => {
    const history = new EventHistory<{ rv: number }>(3);
    for (const rv of [10, 12, 15, 20]) history.push({ rv });
    expect(history.since(12)?.map((e) => e.rv)).toEqual([15, 20]);
    expect(history.since(11)?.map((e) => e.rv)).toEqual([12, 15, 20]);
    expect(history.since(10)?.map((e) => e.rv)).toEqual([12, 15, 20]);
    expect(history.since(9)).toBeUndefined();
    expect(history.since(25)).toEqual([]);
  });

  it('shrinks on resize', () => {
    const history = new EventHistory<{ rv: number }>(10);
    for (let rv = 1; rv <= 5; rv++) history.push({ rv });
    history.resize(1);
    expect(history.since(4)?.map((e) => e.rv)).toEqual([5]);
    expect(history.since(3)).toBeUndefined();
    expect(history.oldestResumable).toBe(4);
  });
});
