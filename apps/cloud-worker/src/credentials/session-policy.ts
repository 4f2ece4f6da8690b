import type { WorkRequest } from '@app/contracts';

/** An IAM/MinIO policy document, as STS AssumeRole takes it for a session policy. */
export interface SessionPolicy {
  Version: '2012-10-17';
  Statement: Array<{
    Effect: 'Allow';
    Action: string[];
    Resource: string[];
    Condition?: { StringLike: { 's3:prefix': string[] } };
  }>;
}

/**
 * What one Job may do with its own credentials: read its input bucket and write its output bucket, both under
 * the request's prefix when it has one (the Job's files are `<prefix>…`, as FILE_PREFIX tells it), and list them
 * there; find the buckets' region (the MinIO and AWS clients ask it first). Nothing else: no other bucket, no
 * other prefix, no deletes, no bucket changes. The store grants the intersection of this and the Jobs user's
 * policy, so the records bucket stays out of reach even if a request named it.
 *
 * A `*` in a prefix would be a wildcard in the policy, granting other jobs' prefixes too, and IAM policies have
 * no portable escape for it (MinIO does not take AWS's `${*}`): such a request gets no credentials, and fails
 * with the reason.
 */
export function sessionPolicy(request: Pick<WorkRequest, 'inputBucket' | 'outputBucket' | 'prefix'>): SessionPolicy {
  const prefix = request.prefix ?? '';
  if (prefix.includes('*')) throw new Error(`the prefix "${prefix}" has a *, which a session policy would read as a wildcard`);
  const objects = (bucket: string) => `arn:aws:s3:::${bucket}/${prefix}*`;
  const listing = (bucket: string) => ({
    Effect: 'Allow' as const,
    Action: ['s3:ListBucket'],
    Resource: [`arn:aws:s3:::${bucket}`],
    ...(prefix && { Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } } }),
  });
  const buckets = [...new Set([request.inputBucket, request.outputBucket])];
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:GetBucketLocation'], Resource: buckets.map((bucket) => `arn:aws:s3:::${bucket}`) },
      ...buckets.map(listing),
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: buckets.map(objects) },
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], Resource: [objects(request.outputBucket)] },
    ],
  };
}
