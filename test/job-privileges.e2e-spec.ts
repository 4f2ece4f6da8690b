import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobRecord } from '@app/contracts';
import { BatchV1Api, KubeConfig } from '@kubernetes/client-node';
import { Client } from 'minio';
import { S3_SECRET } from '../tools/local-stack/s3-secret.js';
import { ApiClient } from './support/http.js';
import { eventually, NAMESPACE, pythonTestImage, TestSystem } from './support/system.js';

/** A Secret's values, as a Job's container gets them. */
function secretValues(system: TestSystem, name: string): Record<string, string> {
  const secret = system.sim.get('secrets', NAMESPACE, name);
  if (!secret) throw new Error(`no Secret ${name}`);
  return Object.fromEntries(Object.entries((secret.data ?? {}) as Record<string, string>).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]));
}

/** An S3 client with the credentials a Job was given. */
function clientOf(system: TestSystem, credentials: Record<string, string>): Client {
  const { host, port } = system.s3;
  return new Client({ endPoint: host, port, useSSL: false, accessKey: credentials.accessKey, secretKey: credentials.secretKey, sessionToken: credentials.sessionToken, region: 'us-east-1' });
}

async function submitAndWait(api: ApiClient, body: Record<string, unknown>): Promise<JobRecord> {
  const answer = await api.submit({ image: 'mstc/python-test', inputBucket: 'job-inputs', outputBucket: 'job-outputs', ...body });
  expect(answer.status).toBe(202);
  return api.untilStatus(answer.body.id);
}

describe('what a Job can reach, with the Jobs-only S3 user (the default)', () => {
  let system: TestSystem;
  let api: ApiClient;
  let done: JobRecord;

  beforeAll(async () => {
    system = await TestSystem.start({ env: { JOB_RUN_AS_NON_ROOT: 'true' }, sim: { images: pythonTestImage(0) } });
    api = new ApiClient(() => system.apiUrl);
    await system.s3Client.makeBucket('job-outputs');
    done = await submitAndWait(api, { jobName: 'privileges' });
  });
  afterAll(() => system?.stop());

  it("refuses the Job's credentials on the records bucket (403 AccessDenied), and serves its output bucket", async () => {
    expect(done.status).toBe('succeeded');
    const given = secretValues(system, S3_SECRET);
    expect(given).toEqual({ accessKey: system.jobsUser.accessKey, secretKey: system.jobsUser.secretKey });
    const jobs = clientOf(system, given);
    await jobs.putObject('job-outputs', 'result.json', '{}');
    await expect(jobs.putObject(system.names.recordsBucket, `jobs/${done.id}.json`, '{"status":"forged"}')).rejects.toMatchObject({ code: 'AccessDenied' });
    await expect(jobs.getObject(system.names.recordsBucket, `jobs/${done.id}.json`)).rejects.toMatchObject({ code: 'AccessDenied' });
    expect((await system.record(done.id))?.status).toBe('succeeded');
    // The apps' own keys never reach the Job.
    const container = system.sim.get('jobs', NAMESPACE, done.jobName)!.spec.template.spec.containers[0];
    expect(JSON.stringify(container.env)).not.toContain(system.s3.secretKey);
  });

  it('runs the Job under the restricted Pod Security Standard', () => {
    const pod = system.sim.get('jobs', NAMESPACE, done.jobName)!.spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  it('masks the secret key in the stored log of an image that prints its environment; the access key (an identifier) stays', async () => {
    const log = await system.objectText('job-outputs', done.logObject!);
    expect(log).toContain('SUCCESS');
    expect(log).toContain('MINIO_SECRET_KEY: ***');
    expect(log).toContain('AWS_SECRET_ACCESS_KEY: ***');
    expect(log).not.toContain(system.jobsUser.secretKey);
    expect(log).toContain(`MINIO_ACCESS_KEY: ${system.jobsUser.accessKey}`);
  });
});

describe('what a Job can reach, with credentials of its own (JOB_S3_CREDENTIALS=sts)', () => {
  let system: TestSystem;
  let api: ApiClient;

  beforeAll(async () => {
    system = await TestSystem.start({ env: { JOB_S3_CREDENTIALS: 'sts' }, sim: { images: pythonTestImage(0) } });
    api = new ApiClient(() => system.apiUrl);
    await Promise.all(['job-inputs', 'job-outputs'].map((bucket) => system.s3Client.makeBucket(bucket)));
    await system.s3Client.putObject('job-inputs', 'run-a/data.csv', 'a');
    await system.s3Client.putObject('job-inputs', 'run-b/data.csv', 'b');
  });
  afterAll(() => system?.stop());

  it("limits a Job's credentials to its request's buckets and prefix, keeps them in a Secret the Job owns, and masks them in its log", async () => {
    const done = await submitAndWait(api, { jobName: 'own-keys', prefix: 'run-a' });
    expect(done.status).toBe('succeeded');
    const secret = system.sim.get('secrets', NAMESPACE, done.jobName)!;
    const job = system.sim.get('jobs', NAMESPACE, done.jobName)!;
    expect(secret.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: done.jobName, uid: job.metadata.uid }]);
    const own = secretValues(system, done.jobName);
    expect(own.accessKey).not.toBe(system.jobsUser.accessKey);
    expect(own.sessionToken).toBeTruthy();

    const jobClient = clientOf(system, own);
    await jobClient.putObject('job-outputs', 'run-a-result.json', '{}');
    expect(Buffer.concat((await (await jobClient.getObject('job-inputs', 'run-a/data.csv')).toArray()) as Buffer[]).toString()).toBe('a');
    // Another job's prefix, the records, and the keys without their session token: refused.
    await expect(jobClient.putObject('job-outputs', 'run-b-result.json', '{}')).rejects.toMatchObject({ code: 'AccessDenied' });
    await expect(jobClient.getObject('job-inputs', 'run-b/data.csv')).rejects.toMatchObject({ code: 'AccessDenied' });
    await expect(jobClient.putObject(system.names.recordsBucket, `jobs/${done.id}.json`, '{}')).rejects.toMatchObject({ code: 'AccessDenied' });
    await expect(clientOf(system, { ...own, sessionToken: '' }).putObject('job-outputs', 'run-a-x', '{}')).rejects.toMatchObject({ code: 'InvalidToken' });

    const log = await system.objectText('job-outputs', done.logObject!);
    expect(log).toContain('AWS_SESSION_TOKEN: ***');
    expect(log).toContain('MINIO_SECRET_KEY: ***');
    expect(log).not.toContain(own.secretKey);
    expect(log).not.toContain(own.sessionToken);

    // Kubernetes' garbage collector takes the Secret with its Job.
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(system.sim.kubeconfig);
    await kubeConfig.makeApiClient(BatchV1Api).deleteNamespacedJob({ namespace: NAMESPACE, name: done.jobName, propagationPolicy: 'Background' });
    await eventually(() => !system.sim.get('secrets', NAMESPACE, done.jobName), 5000, 'the Secret to go with its Job');
  });

  it('lets an image that uses S3 do its work with them', async () => {
    const done = await submitAndWait(api, { image: 'mstc/bucket-copy', jobName: 'copy-own-keys' });
    expect(done.status).toBe('succeeded');
    expect(JSON.parse(await system.objectText('job-outputs', 'result.json'))).toMatchObject({ inputBucket: 'job-inputs', objects: [{ name: 'run-a/data.csv' }, { name: 'run-b/data.csv' }] });
  });
});
