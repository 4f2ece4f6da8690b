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
