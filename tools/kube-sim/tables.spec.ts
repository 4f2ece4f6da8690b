import { describe, expect, it } from '@jest/globals';
import { jobs } from './resources/jobs.js';
import { pods } from './resources/pods.js';
import { humanDuration, podStatusReason, toTable } from './tables.js';

describe('tables', () => {
  it.each([
    [5_000, '5s'],
    [119_000, '119s'],
    [150_000, '2m30s'],
    [600_000, '10m'],
    [3 * 3600_000 + 5 * 60_000, '3h5m'],
    [30 * 3600_000, '30h'],
    [3 * 86_400_000, '3d'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it.each([
    [{ phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }] }, undefined, 'ContainerCreating'],
    [{ phase: 'Running', containerStatuses: [{ ready: true, state: { running: {} } }] }, undefined, 'Running'],
    [{ phase: 'Succeeded', containerStatuses: [{ state: { terminated: { reason: 'Completed' } } }] }, undefined, 'Completed'],
    [{ phase: 'Running', containerStatuses: [{ ready: true, state: { running: {} } }] }, '2026-01-01T00:00:00Z', 'Terminating'],
  ])('shows pod status %j (deleting: %s) as %s', (status, deletionTimestamp, reason) => {
    expect(podStatusReason({ metadata: { deletionTimestamp }, status })).toBe(reason);
  });

  it('prints Jobs with the columns of kubectl get jobs', () => {
    const now = Date.parse('2026-01-01T00:01:00Z');
    const job = {
      metadata: { name: 'x', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { completions: 1, selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'c', image: 'i' }] } } },
      status: { succeeded: 1, startTime: '2026-01-01T00:00:01Z', completionTime: '2026-01-01T00:00:06Z', conditions: [{ type: 'Complete', status: 'True' }] },
    };
    const table: any = toTable(jobs, [job], { resourceVersion: '7', includeObject: 'Metadata' }, now);
    expect(table.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers', 'Images', 'Selector']);
    expect(table.rows[0].cells).toEqual(['x', 'Complete', '1/1', '5s', '60s', 'c', 'i', 'a=b']);
    expect(table.rows[0].object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: job.metadata });
  });

  it('prints pods with the columns of kubectl get pods', () => {
    const table: any = toTable(pods, [{ metadata: { name: 'p', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Pending' } }], { resourceVersion: '1', includeObject: 'None' }, Date.parse('2026-01-01T00:00:03Z'));
    expect(table.columnDefinitions.filter((c: any) => c.priority === 0).map((c: any) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    expect(table.rows[0].cells.slice(0, 5)).toEqual(['p', '0/1', 'Pending', '0', '3s']);
    expect(table.rows[0].object).toBeUndefined();
  });
});
