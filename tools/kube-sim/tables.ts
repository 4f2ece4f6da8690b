/** Server-side printing: `meta.k8s.io/v1` Tables with the columns kubectl shows for each resource. Pure. */
import { hasCondition } from './job-status.js';
import type { KubeObject } from './meta.js';
import { parseTimestamp } from './meta.js';
import type { ResourceType } from './resources/index.js';
import { isTerminalPhase } from './resources/pods.js';

interface Column {
  name: string;
  type: 'string' | 'integer';
  format?: 'name';
  priority?: number;
  description: string;
  cell(object: KubeObject, now: number): string | number;
}

const NONE = '<none>';

/** apimachinery's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

function since(value: unknown, now: number): string {
  const ms = parseTimestamp(value);
  return ms === undefined ? '<unknown>' : humanDuration(now - ms);
}

const nameColumn: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  cell: (o) => o.metadata.name!,
};

const ageColumn: Column = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (o, now) => since(o.metadata.creationTimestamp, now),
};

/** The STATUS column of `kubectl get pods`, as printPod derives it. */
export function podStatusReason(pod: KubeObject): string {
  let reason: string = pod.status?.reason ?? pod.status?.phase ?? 'Pending';
  let running = false;
  for (const status of [...(pod.status?.containerStatuses ?? [])].reverse()) {
    const { waiting, terminated, running: isRunning } = status.state ?? {};
    if (waiting?.reason) reason = waiting.reason;
    else if (terminated?.reason) reason = terminated.reason;
    else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
    else if (isRunning && status.ready) running = true;
  }
  if (reason === 'Completed' && running) reason = 'Running';
  if (pod.metadata.deletionTimestamp && !isTerminalPhase(pod)) reason = 'Terminating';
  return reason;
}

function restartsCell(pod: KubeObject): string {
  return String((pod.status?.containerStatuses ?? []).reduce((sum: number, s: any) => sum + (s.restartCount ?? 0), 0));
}

function formatSelector(selector: any): string {
  if (!selector) return NONE;
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = `(${(e.values ?? []).join(',')})`;
    parts.push(
      e.operator === 'In' ? `${e.key} in ${values}` : e.operator === 'NotIn' ? `${e.key} notin ${values}` : e.operator === 'Exists' ? e.key : `!${e.key}`,
    );
  }
  return parts.join(',') || NONE;
}

function jobStatus(job: KubeObject): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function jobCompletions(job: KubeObject): string {
  const succeeded = job.status?.succeeded ?? 0;
  const { completions, parallelism } = job.spec ?? {};
  if (completions != null) return `${succeeded}/${completions}`;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(job: KubeObject, now: number): string {
  const start = parseTimestamp(job.status?.startTime);
  if (start === undefined) return '';
  return humanDuration((parseTimestamp(job.status?.completionTime) ?? now) - start);
}

const templateContainers = (job: KubeObject): any[] => job.spec?.template?.spec?.containers ?? [];

const COLUMNS: Record<string, Column[]> = {
  pods: [
    nameColumn,
    { name: 'Ready', type: 'string', description: 'The aggregate readiness state of this pod for accepting traffic.', cell: (p) => `${(p.status?.containerStatuses ?? []).filter((s: any) => s.ready).length}/${(p.spec?.containers ?? []).length}` },
    { name: 'Status', type: 'string', description: 'The aggregate status of the containers in this pod.', cell: podStatusReason },
    { name: 'Restarts', type: 'string', description: 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.', cell: restartsCell },
    ageColumn,
    { name: 'IP', type: 'string', priority: 1, description: 'podIP address allocated to the pod.', cell: (p) => p.status?.podIP ?? NONE },
    { name: 'Node', type: 'string', priority: 1, description: 'NodeName indicates in which node this pod is scheduled.', cell: (p) => p.spec?.nodeName ?? NONE },
    { name: 'Nominated Node', type: 'string', priority: 1, description: 'nominatedNodeName is set only when this pod preempts other pods on the node.', cell: (p) => p.status?.nominatedNodeName ?? NONE },
    { name: 'Readiness Gates', type: 'string', priority: 1, description: 'If specified, all readiness gates will be evaluated for pod readiness.', cell: () => NONE },
  ],
  jobs: [
    nameColumn,
    { name: 'Status', type: 'string', description: 'Status of the job.', cell: jobStatus },
    { name: 'Completions', type: 'string', description: 'The number of pods which reached phase Succeeded.', cell: jobCompletions },
    { name: 'Duration', type: 'string', description: 'Time required to complete the job.', cell: jobDuration },
    ageColumn,
    { name: 'Containers', type: 'string', priority: 1, description: 'Names of each container in the template.', cell: (j) => templateContainers(j).map((c) => c.name).join(',') },
    { name: 'Images', type: 'string', priority: 1, description: 'Images referenced by each container in the template.', cell: (j) => templateContainers(j).map((c) => c.image).join(',') },
    { name: 'Selector', type: 'string', priority: 1, description: 'A label query over pods that should match the pod count.', cell: (j) => formatSelector(j.spec?.selector) },
  ],
  events: [
    { name: 'Last Seen', type: 'string', description: 'The time at which the most recent occurrence of this event was recorded.', cell: (e, now) => since(e.lastTimestamp ?? e.eventTime, now) },
    { name: 'Type', type: 'string', description: 'Type of this event (Normal, Warning), new types could be added in the future', cell: (e) => e.type ?? '' },
    { name: 'Reason', type: 'string', description: "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.", cell: (e) => e.reason ?? '' },
    { name: 'Object', type: 'string', description: 'The object that this event is about.', cell: (e) => `${String(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}` },
    { name: 'Subobject', type: 'string', priority: 1, description: 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.', cell: (e) => e.involvedObject?.fieldPath ?? '' },
    { name: 'Source', type: 'string', priority: 1, description: 'The component reporting this event.', cell: (e) => [e.source?.component, e.source?.host].filter(Boolean).join(', ') },
    { name: 'Message', type: 'string', description: 'A human-readable description of the status of this operation.', cell: (e) => e.message ?? '' },
    { name: 'First Seen', type: 'string', priority: 1, description: 'The time at which the event was first recorded.', cell: (e, now) => since(e.firstTimestamp ?? e.eventTime, now) },
    { name: 'Count', type: 'string', priority: 1, description: 'The number of times this event has occurred.', cell: (e) => String(e.count ?? 1) },
    { ...nameColumn, priority: 1 },
  ],
  namespaces: [
    nameColumn,
    { name: 'Status', type: 'string', description: 'The status of the namespace', cell: (n) => n.status?.phase ?? '' },
    ageColumn,
  ],
  secrets: [
    nameColumn,
    { name: 'Type', type: 'string', description: 'The type of secret', cell: (s) => s.type ?? '' },
    { name: 'Data', type: 'string', description: 'The number of entries in the secret', cell: (s) => String(Object.keys(s.data ?? {}).length) },
    ageColumn,
  ],
};

/** Does the Accept header ask for a Table (kubectl get)? */
export function acceptsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => part.includes('as=Table') && part.includes('g=meta.k8s.io'));
}

export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
  includeObject: IncludeObject;
  /** Leave out column definitions (watch events after the first). */
  noHeaders?: boolean;
}

function rowObject(type: ResourceType, object: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return { kind: type.kind, apiVersion: type.apiVersion, ...object };
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}

export function toTable(type: ResourceType, objects: KubeObject[], options: TableOptions, now = Date.now()): Record<string, unknown> {
  const columns = COLUMNS[type.resource] ?? [nameColumn, ageColumn];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {
      resourceVersion: options.resourceVersion,
      ...(options.continueToken ? { continue: options.continueToken } : {}),
      ...(options.remainingItemCount !== undefined ? { remainingItemCount: options.remainingItemCount } : {}),
    },
    columnDefinitions: options.noHeaders
      ? null
      : columns.map(({ name, type: columnType, format, priority, description }) => ({ name, type: columnType, format: format ?? '', description, priority: priority ?? 0 })),
    rows: objects.map((object) => ({ cells: columns.map((c) => c.cell(object, now)), object: rowObject(type, object, options.includeObject) })),
  };
}
