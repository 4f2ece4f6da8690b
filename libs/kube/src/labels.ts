/** The labels and annotations by which the worker finds and keeps track of its Jobs. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'cloud-worker';
export const NAME_LABEL = 'app.kubernetes.io/name';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const REQUEST_ID_LABEL = 'cloud-worker.io/request-id';
/** Set by the Job controller on each pod of a Job. */
export const JOB_NAME_LABEL = 'job-name';

/** The worker that created a Job (for people reading the cluster). */
export const CREATED_BY_ANNOTATION = 'cloud-worker.io/created-by';

/** On each pod of a Job: its backoffLimit, so that whoever reads the pods knows whether more may follow (job-log.ts). */
export const BACKOFF_LIMIT_ANNOTATION = 'cloud-worker.io/backoff-limit';

/** Set on a Job once its log is stored and its record settled: from then on nobody needs it. */
export const COLLECTED_ANNOTATION = 'cloud-worker.io/collected-by';

export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;

/** Keys of the S3 credentials in the Secret named by JOB_S3_SECRET_NAME, and in a Job's own (with its session token). */
export const S3_SECRET_ACCESS_KEY = 'accessKey';
export const S3_SECRET_SECRET_KEY = 'secretKey';
export const S3_SECRET_SESSION_TOKEN = 'sessionToken';
