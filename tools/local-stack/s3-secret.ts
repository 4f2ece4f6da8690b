import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { KubeSim } from '../kube-sim/index.js';

/** The Secret the Jobs read their S3 credentials from (the worker's JOB_S3_SECRET_NAME), as the Helm chart names it. */
export const S3_SECRET = 'cloud-worker-s3';

/** Creates that Secret in the simulator's namespace, as the Helm chart does in a cluster. */
export async function createS3Secret(sim: KubeSim, credentials: { accessKey: string; secretKey: string }, namespace = 'default'): Promise<void> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(sim.kubeconfig);
  await kubeConfig.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace,
    body: { metadata: { name: S3_SECRET }, stringData: { accessKey: credentials.accessKey, secretKey: credentials.secretKey } },
  });
}
