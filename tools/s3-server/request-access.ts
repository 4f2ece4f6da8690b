import type { IncomingMessage } from 'node:http';
import { s3Resource, type AccessRequest } from './policy.js';

/** Bucket sub-resources and the actions that read (GET) or change (PUT, DELETE) them, as S3 names them. */
const BUCKET_SUBRESOURCES: Record<string, string> = {
  acl: 'BucketAcl',
  cors: 'BucketCORS',
  lifecycle: 'LifecycleConfiguration',
  notification: 'BucketNotification',
  policy: 'BucketPolicy',
  tagging: 'BucketTagging',
  versioning: 'BucketVersioning',
  website: 'BucketWebsite',
};

/**
 * What an S3 request asks for, in IAM terms: its action(s) and resource, after "Actions, resources, and condition
 * keys for Amazon S3" (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html),
 * with MinIO's simplifications: every part of a multipart upload is `s3:PutObject`; HEAD asks what GET asks. A
 * copy also reads its source; a multi-object delete needs `s3:DeleteObject` on the whole bucket here, as its keys
 * are in the body, which the front does not read.
 */
export function accessesOf(req: IncomingMessage, bucket: string, key: string, query: URLSearchParams): AccessRequest[] {
  const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
  if (!bucket) return [{ action: 's3:ListAllMyBuckets', resource: 'arn:aws:s3:::*' }];
  if (key) {
    const resource = s3Resource(bucket, key);
    if (query.has('uploadId')) {
      if (method === 'DELETE') return [{ action: 's3:AbortMultipartUpload', resource }];
      if (method === 'GET') return [{ action: 's3:ListMultipartUploadParts', resource }];
      return [{ action: 's3:PutObject', resource }];
    }
    if (query.has('tagging')) return [{ action: `s3:${method === 'GET' ? 'Get' : 'Put'}ObjectTagging`, resource }];
    if (method === 'GET') return [{ action: 's3:GetObject', resource }];
    if (method === 'DELETE') return [{ action: 's3:DeleteObject', resource }];
    const source = req.headers['x-amz-copy-source'];
    const copied = typeof source === 'string' ? decodeURIComponent(source.replace(/^\//, '').split('?')[0]) : undefined;
    return [{ action: 's3:PutObject', resource }, ...(copied ? [{ action: 's3:GetObject', resource: `arn:aws:s3:::${copied}` }] : [])];
  }
  const resource = s3Resource(bucket);
  const subresource = Object.keys(BUCKET_SUBRESOURCES).find((name) => query.has(name));
  if (subresource) {
    const verb = method === 'GET' ? 'Get' : method === 'DELETE' ? 'Delete' : 'Put';
    return [{ action: `s3:${verb}${BUCKET_SUBRESOURCES[subresource]}`, resource }];
  }
  if (query.has('location')) return [{ action: 's3:GetBucketLocation', resource }];
  if (query.has('uploads')) return [{ action: 's3:ListBucketMultipartUploads', resource }];
  if (method === 'POST' && query.has('delete')) return [{ action: 's3:DeleteObject', resource: s3Resource(bucket, '*') }];
  if (method === 'PUT') return [{ action: 's3:CreateBucket', resource }];
  if (method === 'DELETE') return [{ action: 's3:DeleteBucket', resource }];
  return [{ action: 's3:ListBucket', resource, context: { 's3:prefix': query.get('prefix') ?? '' } }];
}
