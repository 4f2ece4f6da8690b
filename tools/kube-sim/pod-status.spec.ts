import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from './meta.js';
import { buildPodStatus, type ContainerView, type PodView } from './pod-status.js';

const pod: KubeObject = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, status: { qosClass: 'BestEffort' } };
const view = (state: ContainerView['state'], extra: Partial<PodView> = {}): PodView => ({
  hostIP: '172.18.0.2',
  startTime: '2026-01-01T00:00:00Z',
  containers: [{ name: 'c', image: 'x', imageID: '', state }],
  killed: false,
  ...extra,
});
const conditions = (status: any) => Object.fromEntries(status.conditions.map((c: any) => [c.type, `${c.status}${c.reason ? `:${c.reason}` : ''}`]));

describe('pod status', () => {
  it('reports a creating container as Pending with ContainersNotReady', () => {
    const status: any = buildPodStatus(pod, view({ waiting: { reason: 'ContainerCreating' } }));
    expect(status.phase).toBe('Pending');
    expect(conditions(status)).toEqual({
      PodReadyToStartContainers: 'False',
      Initialized: 'True',
      Ready: 'False:ContainersNotReady',
      ContainersReady: 'False:ContainersNotReady',
      PodScheduled: 'True',
    });
    expect(status.conditions[2].message).toBe('containers with unready status: [c]');
    expect(status.containerStatuses[0]).toEqual({ name: 'c', state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0, image: 'x', imageID: '', started: false });
    expect(status.podIP).toBeUndefined();
  });

  it('reports a running container as Running and Ready with the pod IP', () => {
    const status: any = buildPodStatus(pod, view({ running: { startedAt: 't' } }, { podIP: '10.244.0.2' }));
    expect(status).toMatchObject({ phase: 'Running', podIP: '10.244.0.2', podIPs: [{ ip: '10.244.0.2' }], hostIPs: [{ ip: '172.18.0.2' }] });
    expect(conditions(status)).toMatchObject({ Ready: 'True', ContainersReady: 'True', PodReadyToStartContainers: 'True' });
    expect(status.containerStatuses[0]).toMatchObject({ ready: true, started: true });
  });

  it.each([
    [0, 'Succeeded', 'PodCompleted'],
    [3, 'Failed', 'PodFailed'],
  ])('exit code %i ends in %s', (exitCode, phase, reason) => {
    const status: any = buildPodStatus(pod, view({ terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', finishedAt: 't' } }, { podIP: '10.244.0.2' }));
    expect(status.phase).toBe(phase);
    expect(conditions(status)).toMatchObject({ Ready: `False:${reason}`, PodReadyToStartContainers: 'False' });
  });

  it('keeps lastTransitionTime while a condition keeps its status', () => {
    const first: any = buildPodStatus(pod, view({ waiting: { reason: 'ContainerCreating' } }), Date.parse('2026-01-01T00:00:00Z'));
    const second: any = buildPodStatus({ ...pod, status: first }, view({ running: { startedAt: 't' } }, { podIP: 'ip' }), Date.parse('2026-01-01T00:00:05Z'));
    const time = (status: any, type: string) => status.conditions.find((c: any) => c.type === type).lastTransitionTime;
    expect(time(second, 'PodScheduled')).toBe('2026-01-01T00:00:00Z');
    expect(time(second, 'Ready')).toBe('2026-01-01T00:00:05Z');
  });

  it('fails a pod killed before its container ran', () => {
    expect((buildPodStatus(pod, view({ waiting: { reason: 'ImagePullBackOff' } }, { killed: true })) as any).phase).toBe('Failed');
  });
});
