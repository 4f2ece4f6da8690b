import { describe, expect, it } from '@jest/globals';
import { RequestFaults } from './faults.js';

const podLog = { verb: 'get', resource: 'pods', subresource: 'log', namespace: 'default', name: 'p-1' };
const podGet = { verb: 'get', resource: 'pods', namespace: 'default', name: 'p-1' };
const jobCreate = { verb: 'create', resource: 'jobs', namespace: 'default' };

describe('RequestFaults', () => {
  it('hits the next N requests of any kind without a matcher', () => {
    const faults = new RequestFaults();
    faults.failNext(2);
    expect([faults.take(jobCreate), faults.take(podLog), faults.take(podGet)]).toEqual(['fail', 'fail', undefined]);
  });

  it('hits only the requests its matcher picks, and leaves the others alone', () => {
    const faults = new RequestFaults();
    faults.failNext(1, { verb: 'get', resource: 'pods', subresource: 'log' });
    expect(faults.take(jobCreate)).toBeUndefined();
    // A pod read is not a pod log read: an absent subresource does not match a given one.
    expect(faults.take(podGet)).toBeUndefined();
    expect(faults.pending()).toBe(1);
    expect(faults.take(podLog)).toBe('fail');
    expect(faults.take(podLog)).toBeUndefined();
    expect(faults.pending()).toBe(0);
  });

  it('matches on namespace and name too', () => {
    const faults = new RequestFaults();
    faults.hangNext(1, { resource: 'pods', name: 'p-2' });
    expect(faults.take(podLog)).toBeUndefined();
    expect(faults.take({ ...podLog, name: 'p-2' })).toBe('hang');
  });

  it('prefers a hang to a failure, and keeps rules of both kinds apart', () => {
    const faults = new RequestFaults();
    faults.failNext(1);
    faults.hangNext(1, { resource: 'jobs' });
    expect(faults.take(podLog)).toBe('fail');
    expect(faults.take(jobCreate)).toBe('hang');
    expect(faults.take(jobCreate)).toBeUndefined();
  });

  it('stalls like it hangs: before failures, for the requests it matches', () => {
    const faults = new RequestFaults();
    faults.failNext(1, { verb: 'watch' });
    faults.stallNext(1, { verb: 'watch', resource: 'pods' });
    const podWatch = { verb: 'watch', resource: 'pods', namespace: 'default' };
    expect(faults.take(podWatch)).toBe('stall');
    expect(faults.take(podWatch)).toBe('fail');
    expect(faults.take(podWatch)).toBeUndefined();
  });

  it('takes older rules first when several match', () => {
    const faults = new RequestFaults();
    faults.failNext(1, { resource: 'pods' });
    faults.failNext(2);
    expect(faults.take(podLog)).toBe('fail');
    expect(faults.pending()).toBe(2);
    expect(faults.take(podLog)).toBe('fail');
    expect(faults.take(jobCreate)).toBe('fail');
    expect(faults.take(jobCreate)).toBeUndefined();
  });

  it('forgets every rule on clear', () => {
    const faults = new RequestFaults();
    faults.failNext(2);
    faults.hangNext(1, { resource: 'pods' });
    faults.clear();
    expect(faults.pending()).toBe(0);
    expect(faults.take(podLog)).toBeUndefined();
  });

  it('ignores counts of zero or less', () => {
    const faults = new RequestFaults();
    faults.failNext(0);
    faults.hangNext(-3, { resource: 'pods' });
    expect(faults.pending()).toBe(0);
    expect(faults.take(podLog)).toBeUndefined();
  });
});
