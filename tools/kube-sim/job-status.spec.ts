import { describe, expect, it } from '@jest/globals';
import { isJobFinished, jobFinishTime, planJobSync, TRACKING_FINALIZER, type JobSyncInput } from './job-status.js';
import type { KubeObject } from './meta.js';

const NOW = Date.parse('2026-01-01T00:00:10Z');
const timing = { specSecondMs: 1000, podBackoffMs: 10_000, podBackoffMaxMs: 360_000 };

function job(spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: 'j', namespace: 'ns', uid: 'job-uid' },
    spec: { parallelism: 1, completions: 1, backoffLimit: 6, podReplacementPolicy: 'TerminatingOrFailed', ...spec },
    status,
  };
}

function pod(name: string, phase: string, extra: { deleting?: boolean; tracked?: boolean; ready?: boolean } = {}): KubeObject {
  return {
    metadata: {
      name,
      uid: `${name}-uid`,
      ...(extra.tracked === false ? {} : { finalizers: [TRACKING_FINALIZER] }),
      ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:00:09Z' } : {}),
    },
    status: { phase, ...(extra.ready ? { conditions: [{ type: 'Ready', status: 'True' }] } : {}) },
  };
}

const plan = (input: Partial<JobSyncInput> & { job: KubeObject }) => planJobSync({ pods: [], now: NOW, timing, ...input });
const types = (status: any) => (status?.conditions ?? []).map((c: any) => `${c.type}=${c.status}:${c.reason}`);

describe('Job status transitions', () => {
  it('starts a new Job: startTime, one pod, active 1', () => {
    const result = plan({ job: job() });
    expect(result).toMatchObject({ createPods: 1, started: true, deletePods: [], removeFinalizers: [] });
    expect(result.status).toEqual({ startTime: '2026-01-01T00:00:10Z', active: 1, terminating: 0, uncountedTerminatedPods: {}, ready: 0 });
  });

  it('counts ready pods and creates nothing more', () => {
    const result = plan({ job: job({}, { startTime: 'x', active: 1 }), pods: [pod('p', 'Running', { ready: true })], startedAt: NOW });
    expect(result.createPods).toBe(0);
    expect(result.status).toMatchObject({ active: 1, ready: 1 });
  });

  it('records a succeeded pod as uncounted, removes its finalizer, declares SuccessCriteriaMet', () => {
    const result = plan({ job: job({}, { startTime: 'x', active: 1 }), pods: [pod('p', 'Succeeded')] });
    expect(result.removeFinalizers).toEqual(['p']);
    expect(result.status).toMatchObject({ uncountedTerminatedPods: { succeeded: ['p-uid'] } });
    expect(result.status!.active).toBeUndefined();
    expect(types(result.status)).toEqual(['SuccessCriteriaMet=True:CompletionsReached']);
  });

  it('counts the pod once its finalizer is gone and completes the Job', () => {
    const before = job({}, {
      startTime: 'x',
      uncountedTerminatedPods: { succeeded: ['p-uid'] },
      conditions: [{ type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' }],
    });
    const result = plan({ job: before, pods: [pod('p', 'Succeeded', { tracked: false })] });
    expect(result.status).toMatchObject({ succeeded: 1, uncountedTerminatedPods: {}, completionTime: '2026-01-01T00:00:10Z' });
    expect(types(result.status)).toEqual(['SuccessCriteriaMet=True:CompletionsReached', 'Complete=True:CompletionsReached']);
    expect(result.status!.conditions[1].message).toBe('Reached expected number of succeeded pods');
    expect(result.events).toEqual([{ type: 'Normal', reason: 'Completed', message: 'Job completed' }]);
    expect(isJobFinished({ ...before, status: result.status })).toBe(true);
    expect(jobFinishTime({ ...before, status: result.status })).toBe(NOW);
  });

  it('replaces a failed pod after the backoff delay', () => {
    const failed = pod('p', 'Failed', { tracked: false });
    const early = plan({ job: job({}, { startTime: 'x', failed: 1 }), pods: [failed], lastFailureAt: NOW - 4000 });
    expect(early).toMatchObject({ createPods: 0, requeueAfterMs: 6000 });
    const later = plan({ job: job({}, { startTime: 'x', failed: 1 }), pods: [failed], lastFailureAt: NOW - 10_000 });
    expect(later.createPods).toBe(1);
  });

  it('fails with BackoffLimitExceeded once failures exceed backoffLimit (0: the first failure)', () => {
    const first = plan({ job: job({ backoffLimit: 0 }, { startTime: 'x', active: 1 }), pods: [pod('p', 'Failed')] });
    expect(types(first.status)).toEqual(['FailureTarget=True:BackoffLimitExceeded']);
    expect(first.events).toEqual([{ type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]);
    const second = plan({ job: { ...job({ backoffLimit: 0 }), status: first.status }, pods: [pod('p', 'Failed', { tracked: false })] });
    expect(second.status).toMatchObject({ failed: 1 });
    expect(types(second.status)).toEqual(['FailureTarget=True:BackoffLimitExceeded', 'Failed=True:BackoffLimitExceeded']);
    expect(second.status!.completionTime).toBeUndefined();
  });

  it('fails with DeadlineExceeded, deleting its pods and waiting for them before Failed', () => {
    const running = pod('p', 'Running');
    const hit = plan({ job: job({ activeDeadlineSeconds: 5 }, { startTime: 'x', active: 1 }), pods: [running], startedAt: NOW - 5000 });
    expect(hit.deletePods).toEqual(['p']);
    expect(types(hit.status)).toEqual(['FailureTarget=True:DeadlineExceeded']);
    expect(hit.status).toMatchObject({ terminating: 1 });
    expect(hit.status!.conditions[0].message).toBe('Job was active longer than specified deadline');

    const terminating = plan({ job: { ...job({ activeDeadlineSeconds: 5 }), status: hit.status }, pods: [pod('p', 'Running', { deleting: true })] });
    expect(terminating.removeFinalizers).toEqual(['p']);
    expect(types(terminating.status)).toEqual(['FailureTarget=True:DeadlineExceeded']);

    const gone = plan({ job: { ...job({ activeDeadlineSeconds: 5 }), status: terminating.status }, pods: [] });
    expect(gone.status).toMatchObject({ failed: 1, terminating: 0 });
    expect(types(gone.status)).toEqual(['FailureTarget=True:DeadlineExceeded', 'Failed=True:DeadlineExceeded']);
  });

  it('asks to be woken at the deadline', () => {
    expect(plan({ job: job({ activeDeadlineSeconds: 5 }, { startTime: 'x', active: 1 }), pods: [pod('p', 'Running')], startedAt: NOW - 2000 }).requeueAfterMs).toBe(3000);
    expect(plan({ job: job({ activeDeadlineSeconds: 5 }) }).requeueAfterMs).toBe(5000);
  });

  it('suspends (no pods, active ones deleted) and resumes with a new start time', () => {
    const suspended = plan({ job: job({ suspend: true }, { startTime: 'x', active: 1 }), pods: [pod('p', 'Running')] });
    expect(suspended.deletePods).toEqual(['p']);
    expect(suspended.createPods).toBe(0);
    expect(types(suspended.status)).toEqual(['Suspended=True:JobSuspended']);
    const resumed = plan({ job: job({ suspend: false }, suspended.status), pods: [] });
    expect(types(resumed.status)).toEqual(['Suspended=False:JobResumed']);
    expect(resumed).toMatchObject({ createPods: 1, started: true });
    expect(resumed.status!.startTime).toBe('2026-01-01T00:00:10Z');
  });

  it('replaces a deleted pod at once under TerminatingOrFailed, only once it failed under Failed', () => {
    const deleting = pod('p', 'Running', { deleting: true });
    expect(plan({ job: job({}, { startTime: 'x' }), pods: [deleting] }).createPods).toBe(1);
    expect(plan({ job: job({ podReplacementPolicy: 'Failed' }, { startTime: 'x' }), pods: [deleting] }).createPods).toBe(0);
  });

  it('only releases finalizers of a finished or deleted Job', () => {
    const finished = job({}, { conditions: [{ type: 'Complete', status: 'True' }] });
    expect(plan({ job: finished, pods: [pod('p', 'Succeeded'), pod('q', 'Running')] })).toMatchObject({ removeFinalizers: ['p', 'q'], createPods: 0 });
    expect(plan({ job: finished, pods: [pod('p', 'Succeeded')] }).status).toBeUndefined();
  });
});
