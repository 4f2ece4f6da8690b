import { describe, expect, it } from '@jest/globals';
import { isAllowed, parsePolicy, s3Resource } from '../../../../tools/s3-server/policy.js';
import { jobsPolicy } from '../../../../tools/local-stack/s3-secret.js';
import { sessionPolicy } from './session-policy.js';

const get = (bucket: string, key: string) => ({ action: 's3:GetObject', resource: s3Resource(bucket, key) });
const put = (bucket: string, key: string) => ({ action: 's3:PutObject', resource: s3Resource(bucket, key) });
const list = (bucket: string, prefix: string) => ({ action: 's3:ListBucket', resource: s3Resource(bucket), context: { 's3:prefix': prefix } });

// Checked with the S3 test server's evaluator, together with the Jobs user's policy, as the store checks them.
describe('sessionPolicy', () => {
  const user = jobsPolicy('records');

  it("lets a Job read its input and write its output under its prefix, and nothing of another job's", () => {
    const policy = parsePolicy(sessionPolicy({ inputBucket: 'in', outputBucket: 'out', prefix: 'run-7' }));
    const allowed = (access: Parameters<typeof isAllowed>[0]) => isAllowed(access, user, policy);
    expect(allowed(get('in', 'run-7/data.csv'))).toBe(true);
    expect(allowed(list('in', 'run-7/'))).toBe(true);
    expect(allowed(put('out', 'run-7-result.json'))).toBe(true);
    expect(allowed(get('out', 'run-7-result.json'))).toBe(true);
    expect(allowed({ action: 's3:GetBucketLocation', resource: s3Resource('out') })).toBe(true);
    expect(allowed(get('in', 'run-8/data.csv'))).toBe(false);
    expect(allowed(list('in', ''))).toBe(false);
    expect(allowed(put('out', 'run-8-result.json'))).toBe(false);
    expect(allowed(put('in', 'run-7-result.json'))).toBe(false);
    expect(allowed({ action: 's3:DeleteObject', resource: s3Resource('out', 'run-7-result.json') })).toBe(false);
    expect(allowed(get('other', 'run-7/data.csv'))).toBe(false);
  });

  it('grants whole buckets without a prefix, never the records bucket', () => {
    const policy = parsePolicy(sessionPolicy({ inputBucket: 'in', outputBucket: 'records' }));
    expect(isAllowed(get('in', 'anything'), user, policy)).toBe(true);
    expect(isAllowed(list('in', ''), user, policy)).toBe(true);
    expect(isAllowed(put('records', 'jobs/1.json'), user, policy)).toBe(false);
  });

  it('refuses a prefix with a *, which would be a wildcard granting other prefixes', () => {
    expect(() => sessionPolicy({ inputBucket: 'in', outputBucket: 'out', prefix: 'a*' })).toThrow('the prefix "a*" has a *, which a session policy would read as a wildcard');
  });
});
