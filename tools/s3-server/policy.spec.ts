import { describe, expect, it } from '@jest/globals';
import { isAllowed, parsePolicy, s3Resource, type PolicyDocument } from './policy.js';

const get = (bucket: string, key: string) => ({ action: 's3:GetObject', resource: s3Resource(bucket, key) });
const put = (bucket: string, key: string) => ({ action: 's3:PutObject', resource: s3Resource(bucket, key) });
const list = (bucket: string, prefix: string) => ({ action: 's3:ListBucket', resource: s3Resource(bucket), context: { 's3:prefix': prefix } });

const everythingButRecords: PolicyDocument = {
  Statement: [
    { Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::*'] },
    { Effect: 'Deny', Action: 's3:*', Resource: ['arn:aws:s3:::records', 'arn:aws:s3:::records/*'] },
  ],
};

describe('the policy evaluator', () => {
  it('denies what no statement allows (the implicit deny)', () => {
    expect(isAllowed(get('in', 'a'), { Statement: [] })).toBe(false);
    expect(isAllowed(put('in', 'a'), { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::in/*' }] })).toBe(false);
  });

  it('lets an explicit Deny win over any Allow', () => {
    expect(isAllowed(put('out', 'x'), everythingButRecords)).toBe(true);
    expect(isAllowed(put('records', 'jobs/1.json'), everythingButRecords)).toBe(false);
    expect(isAllowed(list('records', ''), everythingButRecords)).toBe(false);
    // `records-2` is another bucket: the Deny names the bucket, not a prefix of bucket names.
    expect(isAllowed(put('records-2', 'x'), everythingButRecords)).toBe(true);
  });

  it('matches actions case-insensitively and resources exactly, with * and ? wildcards', () => {
    const policy: PolicyDocument = { Statement: [{ Effect: 'Allow', Action: 's3:get*', Resource: 'arn:aws:s3:::in/run-?/*' }] };
    expect(isAllowed(get('in', 'run-1/data'), policy)).toBe(true);
    expect(isAllowed(get('in', 'run-12/data'), policy)).toBe(false);
    expect(isAllowed(get('In', 'run-1/data'), policy)).toBe(false);
    // A dot in a pattern is a dot, not any character.
    expect(isAllowed(get('in', 'a.b'), { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::in/a.b' }] })).toBe(true);
    expect(isAllowed(get('in', 'axb'), { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::in/a.b' }] })).toBe(false);
  });

  it('checks s3:prefix conditions on listings', () => {
    const policy: PolicyDocument = {
      Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::in', Condition: { StringLike: { 's3:prefix': ['run-1/*', 'run-1'] } } }],
    };
    expect(isAllowed(list('in', 'run-1/'), policy)).toBe(true);
    expect(isAllowed(list('in', 'run-1'), policy)).toBe(true);
    expect(isAllowed(list('in', ''), policy)).toBe(false);
    expect(isAllowed(list('in', 'run-2/'), policy)).toBe(false);
    const notOthers: PolicyDocument = {
      Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::in', Condition: { StringNotEquals: { 's3:prefix': 'secret/' } } }],
    };
    expect(isAllowed(list('in', 'public/'), notOthers)).toBe(true);
    expect(isAllowed(list('in', 'secret/'), notOthers)).toBe(false);
  });

  it('allows only what every policy allows (a user policy narrowed by a session policy)', () => {
    const session: PolicyDocument = { Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: ['arn:aws:s3:::out/run-1*', 'arn:aws:s3:::records/*'] }] };
    expect(isAllowed(put('out', 'run-1-result.json'), everythingButRecords, session)).toBe(true);
    expect(isAllowed(put('out', 'run-2-result.json'), everythingButRecords, session)).toBe(false);
    expect(isAllowed(put('records', 'jobs/1.json'), everythingButRecords, session)).toBe(false);
  });

  it('refuses, when read, what it would otherwise ignore', () => {
    expect(() => parsePolicy({ Statement: [{ Effect: 'Allow', NotAction: 's3:GetObject', Resource: '*' }] })).toThrow('unsupported policy: statement 0 uses NotAction');
    expect(() => parsePolicy({ Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }] })).toThrow(
      'statement 0 uses the condition operator IpAddress',
    );
    expect(() => parsePolicy({ Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { StringLike: { 's3:delimiter': '/' } } }] })).toThrow(
      'statement 0 uses the condition key s3:delimiter',
    );
    expect(() => parsePolicy({ Statement: [{ Sid: 'x', Effect: 'Maybe', Action: 's3:*', Resource: '*' }] })).toThrow('statement x has Effect Maybe');
    expect(() => parsePolicy({ Statement: [{ Effect: 'Allow', Action: [], Resource: '*' }] })).toThrow('statement 0 needs Action');
    expect(() => parsePolicy('{"Version":"2012-10-17"}')).toThrow('unsupported policy: no Statement list');
    expect(parsePolicy(JSON.stringify(everythingButRecords))).toEqual(everythingButRecords);
  });
});
