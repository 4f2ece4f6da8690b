import { describe, expect, it } from '@jest/globals';
import type { V1ContainerState, V1Job, V1Pod } from '@kubernetes/client-node';
import { jobCondition, podState, verdictFromPods } from './job-verdict.js';

let clock = 0;
function pod(name: string, state: V1ContainerState, extra: { phase?: string; deleting?: boolean; reason?: string } = {}): V1Pod {
  return {
    metadata: { name, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, clock++)), ...(extra.deleting && { deletionTimestamp: new Date() }) },
    status: { phase: extra.phase ?? 'Running', reason: extra.reason, containerStatuses: [{ name: 'work', state, ready: false, restartCount: 0, image: 'x', imageID: '' }] },
  };
}
const running = { running: { startedAt: new Date() } };
const exited = (exitCode: number, reason = exitCode === 0 ? 'Completed' : 'Error') => ({ terminated: { exitCode, reason } });
const waiting = (reason: string, message = reason) => ({ waiting: { reason, message } });

describe('podState', () => {
  it.each([
    [pod('p', waiting('ContainerCreating'), { phase: 'Pending' }), { phase: 'waiting' }],
    [pod('p', running), { phase: 'running' }],
    [pod('p', exited(0), { phase: 'Succeeded' }), { phase: 'succeeded', exitCode: 0 }],
    [pod('p', exited(3), { phase: 'Failed' }), { phase: 'failed', exitCode: 3, reason: 'Error' }],
    [pod('p', exited(137, 'OOMKilled')), { phase: 'failed', exitCode: 137, reason: 'OOMKilled' }],
    [pod('p', waiting('ImagePullBackOff', 'Back-off pulling image "nope"'), { phase: 'Pending' }), { phase: 'cannot-start', reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope"' }],
    [pod('p', waiting('CreateContainerConfigError', 'secret "s3" not found'), { phase: 'Pending' }), { phase: 'cannot-start', reason: 'CreateContainerConfigError', message: 'secret "s3" not found' }],
    [pod('p', {}, { phase: 'Failed', reason: 'Evicted' }), { phase: 'failed', exitCode: null, reason: 'Evicted' }],
  ])('reads %#', (subject, expected) => expect(podState(subject, 'work')).toEqual(expected));
});

describe('verdictFromPods', () => {
  it('is active while nothing has ended', () => {
    expect(verdictFromPods([], 'work', 0)).toEqual({ kind: 'active' });
    expect(verdictFromPods([pod('a', running)], 'work', 0)).toEqual({ kind: 'active' });
  });

  it('succeeds when a pod succeeded', () => {
    expect(verdictFromPods([pod('a', exited(1)), pod('b', exited(0))], 'work', 1)).toEqual({ kind: 'succeeded', exitCode: 0 });
  });

  it('fails once more pods failed than the backoff limit allows', () => {
    const first = pod('a', exited(2));
    expect(verdictFromPods([first], 'work', 1)).toEqual({ kind: 'active' });
    expect(verdictFromPods([first, pod('b', exited(4))], 'work', 1)).toEqual({ kind: 'failed', exitCode: 4, reason: 'Error' });
  });

  it('fails fast when the newest pod cannot start', () => {
    expect(verdictFromPods([pod('a', waiting('ErrImagePull'), { phase: 'Pending' })], 'work', 3)).toMatchObject({ kind: 'cannot-start', reason: 'ErrImagePull' });
  });

  it('asks the Job when a pod ended because it was deleted', () => {
    expect(verdictFromPods([pod('a', exited(137), { deleting: true })], 'work', 0)).toEqual({ kind: 'ask-job' });
  });
});

describe('jobCondition', () => {
  const job = (conditions: { type: string; status: string; reason?: string; message?: string }[]): V1Job => ({ status: { conditions } });
  it('reads completion and failure as Kubernetes 1.30 reports them', () => {
    expect(jobCondition(job([]))).toEqual({ kind: 'active' });
    expect(jobCondition(job([{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }]))).toEqual({ kind: 'complete' });
    expect(jobCondition(job([{ type: 'FailureTarget', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }]))).toEqual({
      kind: 'failed',
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    });
    expect(jobCondition(job([{ type: 'Failed', status: 'False' }]))).toEqual({ kind: 'active' });
  });
});
