import { describe, expect, it } from '@jest/globals';
import { bucketNameProblem } from './bucket-name.js';

describe('bucketNameProblem', () => {
  it.each(['test.inputs', 'abc', 'in-bucket-1', 'a'.repeat(63)])('accepts %s', (name) => expect(bucketNameProblem(name)).toBeUndefined());

  it.each([
    ['ab', 'must be 3 to 63 characters long'],
    ['a'.repeat(64), 'must be 3 to 63 characters long'],
    ['Test.Inputs', 'may only contain lowercase letters, digits, dots and hyphens'],
    ['in_bucket', 'may only contain lowercase letters, digits, dots and hyphens'],
    ['-abc', 'must begin and end with a letter or digit'],
    ['abc.', 'must begin and end with a letter or digit'],
    ['a..b', 'must not contain two adjacent dots'],
    ['192.168.5.4', 'must not be formatted as an IP address'],
    ['xn--abc', 'must not start with a reserved prefix (xn--, sthree-, amzn-s3-demo-)'],
    ['abc-s3alias', 'must not end with a reserved suffix'],
  ])('rejects %s: %s', (name, problem) => expect(bucketNameProblem(name)).toBe(problem));
});
