/**
 * The environment variables the worker gives every Job (libs/kube's job-manifest.ts sets them by these names).
 * A request's `env` may not name any of them: the Job's buckets and credentials are the worker's to say.
 */
export const JOB_ENV = {
  mstcJob: 'MSTC_JOB',
  inputBucket: 'INPUT_BUCKET',
  outputBucket: 'OUTPUT_BUCKET',
  filePrefix: 'FILE_PREFIX',
  s3Host: 'MINIO_SERVICE_HOST',
  s3Port: 'MINIO_SERVICE_PORT',
  minioAccessKey: 'MINIO_ACCESS_KEY',
  minioSecretKey: 'MINIO_SECRET_KEY',
  minioSessionToken: 'MINIO_SESSION_TOKEN',
  awsAccessKey: 'AWS_ACCESS_KEY_ID',
  awsSecretKey: 'AWS_SECRET_ACCESS_KEY',
  awsSessionToken: 'AWS_SESSION_TOKEN',
} as const;

export const RESERVED_ENV_NAMES: readonly string[] = Object.values(JOB_ENV);
