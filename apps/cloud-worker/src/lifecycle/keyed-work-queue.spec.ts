import { describe, expect, it } from '@jest/globals';
import { KeyedWorkQueue, type KeyedWorkQueueOptions } from './keyed-work-queue.js';

/** A promise with its resolve, to hold a handler run open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  expect(check()).toBe(true);
}

const options = (overrides: Partial<KeyedWorkQueueOptions> = {}): KeyedWorkQueueOptions => ({
  parallelism: 4,
  initialDelayMs: 5,
  maxDelayMs: 20,
  onFailure: () => 'retry',
  ...overrides,
});

describe('KeyedWorkQueue', () => {
  it('merges triggers for a key and never works one key twice at once', async () => {
    const held = gate();
    const runs: string[] = [];
    let running = 0;
    let most = 0;
    const queue = new KeyedWorkQueue(async (key) => {
      runs.push(key);
      most = Math.max(most, ++running);
      if (runs.length === 1) await held.promise;
      running--;
    }, options());
    queue.add('a');
    await until(() => runs.length === 1);
    // Three triggers while the first run is under way: one more run after it, not three.
    queue.add('a');
    queue.add('a');
    queue.add('a');
    held.open();
    await until(() => runs.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runs).toEqual(['a', 'a']);
    expect(most).toBe(1);
  });

  it('works different keys side by side, up to its parallelism', async () => {
    const held = gate();
    let running = 0;
    let most = 0;
    const queue = new KeyedWorkQueue(async () => {
      most = Math.max(most, ++running);
      await held.promise;
      running--;
    }, options({ parallelism: 2 }));
    for (const key of ['a', 'b', 'c']) queue.add(key);
    await until(() => running === 2);
    held.open();
    await until(() => running === 0 && most === 2);
  });

  it('backs a failing key off with growing pauses up to the cap while other keys go on', async () => {
    const pauses: number[] = [];
    const done: string[] = [];
    let failures = 0;
    const queue = new KeyedWorkQueue(async (key) => {
      if (key === 'other') return void done.push(key);
      if (++failures < 8) throw new Error('down');
    }, options({ initialDelayMs: 2, maxDelayMs: 10, onFailure: (_key, _error, { retryInMs }) => (pauses.push(retryInMs), 'retry') }));
    queue.add('failing');
    queue.add('other');
    await until(() => failures === 8 && done.length === 1);
    expect(pauses).toHaveLength(7);
    expect(Math.max(...pauses)).toBeLessThanOrEqual(10);
    expect(pauses[0]).toBeLessThan(Math.max(...pauses));
    expect(queue.retrying()).toBe(0);
  });

  it('does not run a key in backoff earlier because of a trigger', async () => {
    let runs = 0;
    const queue = new KeyedWorkQueue(async () => {
      runs++;
      if (runs === 1) throw new Error('down');
    }, options({ initialDelayMs: 200, maxDelayMs: 200 }));
    queue.add('a');
    await until(() => queue.retrying() === 1);
    queue.add('a');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runs).toBe(1);
    await until(() => runs === 2);
  });

  it('tells each failure with the count of failures in a row, and works the key again at once when asked', async () => {
    const seen: number[] = [];
    let runs = 0;
    const queue = new KeyedWorkQueue(async () => {
      if (++runs <= 3) throw new Error(`failure ${runs}`);
    }, options({ onFailure: (_key, _error, { failures }) => (seen.push(failures), 'now') }));
    queue.add('a');
    await until(() => runs === 4);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('stops taking work at shutdown and waits for the runs under way', async () => {
    const held = gate();
    let finished = false;
    const queue = new KeyedWorkQueue(async () => {
      await held.promise;
      finished = true;
    }, options());
    queue.add('a');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const stopped = queue.shutdown();
    queue.add('b');
    held.open();
    await stopped;
    expect(finished).toBe(true);
  });
});
