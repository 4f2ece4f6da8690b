/** The kubeconfig pointing kubectl and client-node at the simulator (plain http, so TLS verification is off). */
import { stringify } from 'yaml';

export function kubeconfigFor(url: string, namespace: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kube-sim', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    contexts: [{ name: 'kube-sim', context: { cluster: 'kube-sim', user: 'kube-sim', namespace } }],
    'current-context': 'kube-sim',
    users: [{ name: 'kube-sim', user: {} }],
    preferences: {},
  });
}
