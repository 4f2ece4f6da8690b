import { uniqueJobName, type IdentifiedRequest } from '@app/contracts';
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
              env: jobEnvironment(request, name, settings),
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              ...(settings.resources && { resources: settings.resources }),
            },
          ],
        },
      },
    },
  };
}

/** The Secret of a Job's own S3 credentials (JOB_S3_CREDENTIALS=sts): named after the Job, which owns it. */
export function jobCredentialsSecretName(uniqueJobName: string): string {
  return uniqueJobName;
}

function jobEnvironment(request: IdentifiedRequest, uniqueJobName: string, settings: JobSettings): V1EnvVar[] {
  const secretName = settings.s3.perJobCredentials ? jobCredentialsSecretName(uniqueJobName) : settings.s3.secretName;
  const fromSecret = (name: string, key: string): V1EnvVar => ({ name, valueFrom: { secretKeyRef: { name: secretName, key } } });
  return [
    { name: 'MSTC_JOB', value: 'true' },
    { name: 'INPUT_BUCKET', value: request.inputBucket },
    { name: 'OUTPUT_BUCKET', value: request.outputBucket },
    ...(request.prefix ? [{ name: 'FILE_PREFIX', value: request.prefix }] : []),
    { name: 'MINIO_SERVICE_HOST', value: settings.s3.host },
    { name: 'MINIO_SERVICE_PORT', value: String(settings.s3.port) },
    // The credentials come from a Secret, never as values in the Job; under MinIO's and the AWS SDKs' names.
    fromSecret('MINIO_ACCESS_KEY', S3_SECRET_ACCESS_KEY),
    fromSecret('MINIO_SECRET_KEY', S3_SECRET_SECRET_KEY),
    fromSecret('AWS_ACCESS_KEY_ID', S3_SECRET_ACCESS_KEY),
    fromSecret('AWS_SECRET_ACCESS_KEY', S3_SECRET_SECRET_KEY),
    ...(settings.s3.perJobCredentials ? [fromSecret('MINIO_SESSION_TOKEN', S3_SECRET_SESSION_TOKEN), fromSecret('AWS_SESSION_TOKEN', S3_SECRET_SESSION_TOKEN)] : []),
  ];
}
