import { S3_SECRET_ACCESS_KEY, S3_SECRET_SECRET_KEY } from '../../libs/kube/src/labels.js';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { KubeSim } from '../kube-sim/index.js';
import type { PolicyDocument } from '../s3-server/policy.js';
import type { S3Endpoint } from '../s3-server/s3-server.js';

/** The Secret the Jobs read their S3 credentials from (the worker's JOB_S3_SECRET_NAME), as the Helm chart names it. */
export const S3_SECRET = 'cloud-worker-s3';

/** The Jobs user's policy, in the chart for its provisioning hook; `__RECORDS_BUCKET__` stands for RECORDS_BUCKET. */
export const JOBS_POLICY_FILE = resolve(import.meta.dirname, '../../charts/cloud-worker/files/jobs-s3-policy.json');

/** The Jobs-only user's policy for a records bucket: every bucket but that one. */
export function jobsPolicy(recordsBucket: string): PolicyDocument {
  return JSON.parse(readFileSync(JOBS_POLICY_FILE, 'utf8').replaceAll('__RECORDS_BUCKET__', recordsBucket)) as PolicyDocument;
}

/** The worker's settings for the Jobs' credentials. */
export interface JobsUser {
  accessKey: string;
  secretKey: string;
  env: { JOB_S3_SECRET_NAME: string; JOB_S3_ACCESS_KEY: string; JOB_S3_SECRET_KEY: string };
}

/**
 * Least privilege for the Jobs, as the chart sets it up in a cluster: a user of the S3 server that may not touch
 * the records bucket, with fresh keys, and the Secret the Jobs read them from in the simulator's namespace.
 */
export async function provisionJobsUser(s3: S3Endpoint, sim: KubeSim, recordsBucket: string, namespace = 'default'): Promise<JobsUser> {
  const accessKey = `jobs-${randomBytes(4).toString('hex')}`;
  const secretKey = randomBytes(24).toString('base64url');
  await s3.addUser({ accessKey, secretKey, policy: jobsPolicy(recordsBucket) });
  await createS3Secret(sim, { accessKey, secretKey }, namespace);
  return { accessKey, secretKey, env: { JOB_S3_SECRET_NAME: S3_SECRET, JOB_S3_ACCESS_KEY: accessKey, JOB_S3_SECRET_KEY: secretKey } };
}

/** Creates that Secret in the simulator's namespace, as the Helm chart does in a cluster. */
export async function createS3Secret(sim: KubeSim, credentials: { accessKey: string; secretKey: string }, namespace = 'default'): Promise<void> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(sim.kubeconfig);
  await kubeConfig.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace,
    body: { metadata: { name: S3_SECRET }, stringData: { [S3_SECRET_ACCESS_KEY]: credentials.accessKey, [S3_SECRET_SECRET_KEY]: credentials.secretKey } },
  });
}
