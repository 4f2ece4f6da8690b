import { describe, expect, it } from '@jest/globals';
import { RESERVED_ENV_NAMES } from '@app/contracts';
import { buildJob, containerResources, jobCredentialsSecretName, timeOutSeconds, type JobSettings } from './job-manifest.js';

const settings: JobSettings = {
  namespace: 'mstc-dev',
  backoffLimit: 0,
  timeOutUnitSeconds: 60,
  deadlineMarginSeconds: 120,
  workerId: 'worker-a',
  imagePullSecrets: [],
  nodeSelector: {},
  tolerations: [],
  runAsNonRoot: false,
  s3: { host: 'minio.mstc-dev.svc', port: 9000, secretName: 'cloud-worker-s3' },
};
const id = '99c0812e-03c5-459c-95db-dd95251b14d0';
const request = { id, image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'in.bucket', outputBucket: 'out.bucket', timeOut: 15 };

describe('buildJob', () => {
  it('builds the Job of spec section 4', () => {
    const labels = {
      'app.kubernetes.io/managed-by': 'cloud-worker',
      'app.kubernetes.io/name': 'test-job',
      'app.kubernetes.io/instance': `test-job-${id}`,
      'cloud-worker.io/request-id': id,
    };
    expect(buildJob(request, settings)).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: `test-job-${id}`, namespace: 'mstc-dev', labels, annotations: { 'cloud-worker.io/created-by': 'worker-a' } },
      spec: {
        // 15 minutes of timeOut, then the margin in which the worker ends the Job itself, having read its log.
        activeDeadlineSeconds: 900 + 120,
        backoffLimit: 0,
        template: {
          metadata: { labels, annotations: { 'cloud-worker.io/backoff-limit': String(settings.backoffLimit) } },
          spec: {
            restartPolicy: 'Never',
            securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'test-job',
                image: 'mstc/python-test',
                imagePullPolicy: 'IfNotPresent',
                env: [
                  { name: 'MSTC_JOB', value: 'true' },
                  { name: 'INPUT_BUCKET', value: 'in.bucket' },
                  { name: 'OUTPUT_BUCKET', value: 'out.bucket' },
                  { name: 'MINIO_SERVICE_HOST', value: 'minio.mstc-dev.svc' },
                  { name: 'MINIO_SERVICE_PORT', value: '9000' },
                  { name: 'MINIO_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'cloud-worker-s3', key: 'accessKey' } } },
                  { name: 'MINIO_SECRET_KEY', valueFrom: { secretKeyRef: { name: 'cloud-worker-s3', key: 'secretKey' } } },
                  { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'cloud-worker-s3', key: 'accessKey' } } },
                  { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'cloud-worker-s3', key: 'secretKey' } } },
                ],
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              },
            ],
          },
        },
      },
    });
  });

  it('keeps the Job name within a DNS label for the longest jobName', () => {
    const job = buildJob({ ...request, jobName: 'a'.repeat(26) }, settings);
    expect(job.metadata?.name).toHaveLength(63);
  });

  it('passes the prefix as FILE_PREFIX', () => {
    const env = buildJob({ ...request, prefix: 'run-7' }, settings).spec?.template.spec?.containers[0].env;
    expect(env).toContainEqual({ name: 'FILE_PREFIX', value: 'run-7' });
  });

  it('applies the pod settings of the worker configuration', () => {
    const job = buildJob(request, {
      ...settings,
      backoffLimit: 2,
      timeOutUnitSeconds: 1,
      deadlineMarginSeconds: 0,
      imagePullSecrets: ['harbor-robot'],
      serviceAccountName: 'mstc-jobs',
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
      tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
    });
    expect(job.spec).toMatchObject({ activeDeadlineSeconds: 15, backoffLimit: 2 });
    expect(job.spec?.template.spec).toMatchObject({
      imagePullSecrets: [{ name: 'harbor-robot' }],
      serviceAccountName: 'mstc-jobs',
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
      tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
    });
    // The account's token is the account's to give: its automountServiceAccountToken decides.
    expect(job.spec?.template.spec?.automountServiceAccountToken).toBeUndefined();
    expect(job.spec?.template.spec?.containers[0].resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } });
  });

  it("counts a request's timeOut in minutes of the configured length", () => {
    expect(timeOutSeconds(request, settings)).toBe(900);
    expect(timeOutSeconds(request, { ...settings, timeOutUnitSeconds: 1 })).toBe(15);
  });

  it('never puts a credential value in the Job', () => {
    const env = buildJob(request, settings).spec?.template.spec?.containers[0].env ?? [];
    for (const variable of env.filter((e) => /KEY/.test(e.name))) expect(variable.value).toBeUndefined();
  });

  it('runs under the restricted Pod Security Standard, as non-root when configured', () => {
    const restricted = buildJob(request, { ...settings, runAsNonRoot: true }).spec?.template.spec;
    expect(restricted?.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(restricted?.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(restricted?.automountServiceAccountToken).toBe(false);
    // Off, runAsNonRoot is left out rather than set false: the image's user decides, as for images built as root.
    expect(buildJob(request, settings).spec?.template.spec?.securityContext).not.toHaveProperty('runAsNonRoot');
  });

  it("with per-Job credentials, reads them and their session token from the Job's own Secret", () => {
    const job = buildJob(request, { ...settings, s3: { ...settings.s3, perJobCredentials: true } });
    const secretRefs = (job.spec?.template.spec?.containers[0].env ?? []).filter((variable) => variable.valueFrom).map((variable) => [variable.name, variable.valueFrom?.secretKeyRef]);
    const own = { name: jobCredentialsSecretName(job.metadata!.name!) };
    expect(own.name).toBe(`test-job-${id}`);
    expect(secretRefs).toEqual([
      ['MINIO_ACCESS_KEY', { ...own, key: 'accessKey' }],
      ['MINIO_SECRET_KEY', { ...own, key: 'secretKey' }],
      ['AWS_ACCESS_KEY_ID', { ...own, key: 'accessKey' }],
      ['AWS_SECRET_ACCESS_KEY', { ...own, key: 'secretKey' }],
      ['MINIO_SESSION_TOKEN', { ...own, key: 'sessionToken' }],
      ['AWS_SESSION_TOKEN', { ...own, key: 'sessionToken' }],
    ]);
  });

  it("passes the request's arguments, and its variables after the worker's", () => {
    const container = buildJob({ ...request, prefix: 'run-1', env: [{ name: 'LOG_LEVEL', value: 'debug' }, { name: 'WHERE', value: '$(INPUT_BUCKET)' }], args: ['--n', '10'] }, settings)
      .spec!.template.spec!.containers[0]!;
    expect(container.args).toEqual(['--n', '10']);
    expect(container.env!.slice(-3)).toEqual([
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'cloud-worker-s3', key: 'secretKey' } } },
      { name: 'LOG_LEVEL', value: 'debug' },
      { name: 'WHERE', value: '$(INPUT_BUCKET)' },
    ]);
    expect(buildJob(request, settings).spec!.template.spec!.containers[0]).not.toHaveProperty('args');
  });

  it('sets only variables a request may not name itself', () => {
    const everyVariable = buildJob({ ...request, prefix: 'p' }, { ...settings, s3: { ...settings.s3, perJobCredentials: true } }).spec!.template.spec!.containers[0]!.env!;
    expect(everyVariable.map((variable) => variable.name).sort()).toEqual([...RESERVED_ENV_NAMES].sort());
  });

  it("merges the request's resources over the defaults", () => {
    const defaults = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } };
    const job = buildJob({ ...request, resources: { requests: { memory: '256Mi' }, limits: { cpu: '2' } } }, { ...settings, resources: defaults });
    expect(job.spec!.template.spec!.containers[0]!.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '2', memory: '512Mi' } });
  });
});

describe('containerResources', () => {
  const defaults = { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } };

  it('keeps the defaults for a request that says nothing, and says nothing without either', () => {
    expect(containerResources(defaults, undefined)).toEqual(defaults);
    expect(containerResources(undefined, undefined)).toBeUndefined();
    expect(containerResources(undefined, { limits: { memory: '100Mi' } })).toEqual({ limits: { memory: '100Mi' } });
  });

  it("brings a default request down to the request's lower limit", () => {
    expect(containerResources(defaults, { limits: { cpu: '200m', memory: '100Mi' } })).toEqual({ requests: { cpu: '200m', memory: '100Mi' }, limits: { cpu: '200m', memory: '100Mi' } });
  });

  it("raises a default limit to the request's higher request", () => {
    expect(containerResources(defaults, { requests: { memory: '16Gi' } })).toEqual({ requests: { cpu: '500m', memory: '16Gi' }, limits: { cpu: '1', memory: '16Gi' } });
  });

  it('leaves the defaults as configured where the request says nothing of that resource', () => {
    const contradictory = { requests: { cpu: '2' }, limits: { cpu: '1' } };
    expect(containerResources(contradictory, { limits: { memory: '1Gi' } })).toEqual({ requests: { cpu: '2' }, limits: { cpu: '1', memory: '1Gi' } });
  });
});
