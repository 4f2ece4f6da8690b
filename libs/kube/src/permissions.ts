/**
 * Every Kubernetes API permission the worker uses, one line per resource, kept next to the calls in
 * `KubeApi`. The Helm chart's Role grants exactly these (a chart test compares them), and a test of
 * `KubeApi` checks that its calls need no more. `/version` is public to every authenticated client.
 */
export const KUBE_PERMISSIONS = [
  { apiGroup: 'batch', resource: 'jobs', verbs: ['create', 'delete', 'get', 'list', 'patch'] },
  { apiGroup: '', resource: 'pods', verbs: ['list', 'watch'] },
  { apiGroup: '', resource: 'pods/log', verbs: ['get'] },
] as const;

/**
 * What the worker needs besides, with JOB_S3_CREDENTIALS=sts only: it creates each Job's Secret of temporary S3
 * credentials, and reads it back when it was created before (a retried step, a restarted worker). The chart's
 * Role grants these only when it sets that mode.
 */
export const STS_KUBE_PERMISSIONS = [{ apiGroup: '', resource: 'secrets', verbs: ['create', 'get'] }] as const;

/**
 * The api's read-only access, in the Jobs' namespace, to follow a job's log live (apps/api/src/live): the pods of
 * the Jobs (listed and watched, read one by one), and their logs. The chart's api Role grants exactly these.
 */
export const API_KUBE_PERMISSIONS = [
  { apiGroup: '', resource: 'pods', verbs: ['get', 'list', 'watch'] },
  { apiGroup: '', resource: 'pods/log', verbs: ['get'] },
] as const;

/** With JOB_S3_CREDENTIALS=sts the api reads each Job's own credentials Secret, to mask them in the log it sends. */
export const API_STS_KUBE_PERMISSIONS = [{ apiGroup: '', resource: 'secrets', verbs: ['get'] }] as const;
