import { JOB_ENV, quantityValue, RESOURCE_NAMES, uniqueJobName, type IdentifiedRequest, type RequestedResources } from '@app/contracts';
import type { V1EnvVar, V1Job, V1ResourceRequirements, V1Toleration } from '@kubernetes/client-node';
import {
  BACKOFF_LIMIT_ANNOTATION,
  CREATED_BY_ANNOTATION,
  INSTANCE_LABEL,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  NAME_LABEL,
  REQUEST_ID_LABEL,
  S3_SECRET_ACCESS_KEY,
  S3_SECRET_SECRET_KEY,
  S3_SECRET_SESSION_TOKEN,
} from './labels.js';

/** What the worker's configuration applies to every Job. */
export interface JobSettings {
  namespace: string;
  backoffLimit: number;
  /** Seconds in a minute of `timeOut` (60 outside tests). */
  timeOutUnitSeconds: number;
  /** Added to `timeOut` for `activeDeadlineSeconds`: Kubernetes' deadline is only the backstop (see timeOutSeconds). */
  deadlineMarginSeconds: number;
  /** The worker creating the Job, recorded on it. */
  workerId: string;
  imagePullSecrets: string[];
  serviceAccountName?: string;
  /** The defaults, for what a request does not say of its own. */
  resources?: V1ResourceRequirements;
  nodeSelector: Record<string, string>;
  tolerations: V1Toleration[];
  /** Pods must not run as root (`runAsNonRoot`); off for images built as root. */
  runAsNonRoot: boolean;
  /**
   * Where Jobs reach S3 and the Secret of their credentials: the Jobs-only user's (`secretName`), or, with
   * `perJobCredentials`, a Secret of each Job's own (named after it) with temporary credentials and their session token.
   */
  s3: { host: string; port: number; secretName: string; perJobCredentials?: boolean };
}

/**
 * Seconds a request may run. The worker ends the Job at this point itself, reading the log first, because
 * Kubernetes' own deadline kills the pods and with them the log. `activeDeadlineSeconds` lies a margin later,
 * to stop the Job should no worker be there to do it.
 */
export function timeOutSeconds(request: Pick<IdentifiedRequest, 'timeOut'>, settings: JobSettings): number {
  return request.timeOut * settings.timeOutUnitSeconds;
}

/**
 * The Kubernetes Job for a work request (spec section 4). It is created without `ttlSecondsAfterFinished`:
 * the worker sets the TTL once the log is stored, so that a finished Job and its pod (and so its log) stay
 * until then, however long the worker is away.
 */
export function buildJob(request: IdentifiedRequest, settings: JobSettings): V1Job {
  const name = uniqueJobName(request.jobName, request.id);
  const labels = {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [NAME_LABEL]: request.jobName,
    [INSTANCE_LABEL]: name,
    [REQUEST_ID_LABEL]: request.id,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: settings.namespace, labels, annotations: { [CREATED_BY_ANNOTATION]: settings.workerId } },
    spec: {
      activeDeadlineSeconds: timeOutSeconds(request, settings) + settings.deadlineMarginSeconds,
      backoffLimit: settings.backoffLimit,
      template: {
        metadata: { labels, annotations: { [BACKOFF_LIMIT_ANNOTATION]: String(settings.backoffLimit) } },
        spec: {
          restartPolicy: 'Never',
          // The restricted Pod Security Standard; a Job talks to no Kubernetes API unless given an account for it.
          securityContext: { ...(settings.runAsNonRoot && { runAsNonRoot: true }), seccompProfile: { type: 'RuntimeDefault' } },
          ...(settings.serviceAccountName ? { serviceAccountName: settings.serviceAccountName } : { automountServiceAccountToken: false }),
          ...(settings.imagePullSecrets.length > 0 && { imagePullSecrets: settings.imagePullSecrets.map((secret) => ({ name: secret })) }),
          ...(Object.keys(settings.nodeSelector).length > 0 && { nodeSelector: settings.nodeSelector }),
          ...(settings.tolerations.length > 0 && { tolerations: settings.tolerations }),
          containers: [
            {
              name: request.jobName,
              image: request.image,
              imagePullPolicy: 'IfNotPresent',
              ...(request.args && { args: request.args }),
              // The request's own variables come last, so that $(NAME) in them can name the worker's.
              env: [...jobEnvironment(request, name, settings), ...(request.env ?? [])],
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              ...withResources(containerResources(settings.resources, request.resources)),
            },
          ],
        },
      },
    },
  };
}

/**
 * The container's resources: what the request says over the worker's defaults. A default that contradicts what the
 * request says gives way to it, since Kubernetes refuses a request above its limit: a default request comes down to
 * the request's limit, a default limit goes up to the request's request (both within the caps the request was held to).
 */
export function containerResources(defaults: V1ResourceRequirements | undefined, asked: RequestedResources | undefined): V1ResourceRequirements | undefined {
  const requests: Record<string, string> = { ...defaults?.requests, ...asked?.requests };
  const limits: Record<string, string> = { ...defaults?.limits, ...asked?.limits };
  for (const resource of RESOURCE_NAMES) {
    const request = requests[resource];
    const limit = limits[resource];
    if (request === undefined || limit === undefined || quantityValue(request)! <= quantityValue(limit)!) continue;
    if (asked?.requests?.[resource] !== undefined) limits[resource] = request;
    else if (asked?.limits?.[resource] !== undefined) requests[resource] = limit;
  }
  const has = (list: Record<string, string>) => Object.keys(list).length > 0;
  return has(requests) || has(limits) ? { ...(has(requests) && { requests }), ...(has(limits) && { limits }) } : undefined;
}

function withResources(resources: V1ResourceRequirements | undefined): { resources?: V1ResourceRequirements } {
  return resources ? { resources } : {};
}

/** The Secret of a Job's own S3 credentials (JOB_S3_CREDENTIALS=sts): named after the Job, which owns it. */
export function jobCredentialsSecretName(uniqueJobName: string): string {
  return uniqueJobName;
}

function jobEnvironment(request: IdentifiedRequest, uniqueJobName: string, settings: JobSettings): V1EnvVar[] {
  const secretName = settings.s3.perJobCredentials ? jobCredentialsSecretName(uniqueJobName) : settings.s3.secretName;
  const fromSecret = (name: string, key: string): V1EnvVar => ({ name, valueFrom: { secretKeyRef: { name: secretName, key } } });
  return [
    { name: JOB_ENV.mstcJob, value: 'true' },
    { name: JOB_ENV.inputBucket, value: request.inputBucket },
    { name: JOB_ENV.outputBucket, value: request.outputBucket },
    ...(request.prefix ? [{ name: JOB_ENV.filePrefix, value: request.prefix }] : []),
    { name: JOB_ENV.s3Host, value: settings.s3.host },
    { name: JOB_ENV.s3Port, value: String(settings.s3.port) },
    // The credentials come from a Secret, never as values in the Job; under MinIO's and the AWS SDKs' names.
    fromSecret(JOB_ENV.minioAccessKey, S3_SECRET_ACCESS_KEY),
    fromSecret(JOB_ENV.minioSecretKey, S3_SECRET_SECRET_KEY),
    fromSecret(JOB_ENV.awsAccessKey, S3_SECRET_ACCESS_KEY),
    fromSecret(JOB_ENV.awsSecretKey, S3_SECRET_SECRET_KEY),
    ...(settings.s3.perJobCredentials
      ? [fromSecret(JOB_ENV.minioSessionToken, S3_SECRET_SESSION_TOKEN), fromSecret(JOB_ENV.awsSessionToken, S3_SECRET_SESSION_TOKEN)]
      : []),
  ];
}
