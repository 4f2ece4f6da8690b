import { describe, expect, it } from '@jest/globals';
import { describeProblems, validateWorkRequest } from './work-request.js';

const limits = { defaultMinutes: 15, maxMinutes: 120 };
const valid = { image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'test.inputs' };

describe('validateWorkRequest', () => {
  it('applies the defaults of the spec', () => {
    expect(validateWorkRequest(valid, limits)).toEqual({
      ok: true,
      request: { image: 'mstc/python-test', jobName: 'test-job', inputBucket: 'test.inputs', outputBucket: 'test.inputs', timeOut: 15 },
    });
  });

  it('keeps the optional fields and treats timeOut 0 as the default', () => {
    const id = '3F1C2F5E-8A0B-4C1E-9D7A-2B6F0E4C9A11';
    const result = validateWorkRequest({ ...valid, outputBucket: 'out.bucket', timeOut: 0, prefix: 'run-7', id }, limits);
    expect(result).toEqual({
      ok: true,
      request: { ...valid, outputBucket: 'out.bucket', timeOut: 15, prefix: 'run-7', id: id.toLowerCase() },
    });
  });

  it('ignores unknown fields', () => {
    const result = validateWorkRequest({ ...valid, timeOut: 5, colour: 'blue', __proto__x: 1 }, limits);
    expect(result.ok && result.request).toEqual({ ...valid, outputBucket: 'test.inputs', timeOut: 5 });
  });

  it('names every missing field', () => {
    const result = validateWorkRequest({}, limits);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      { field: 'image', rule: 'isDefined', message: 'image is required' },
      { field: 'jobName', rule: 'isDefined', message: 'jobName is required' },
      { field: 'inputBucket', rule: 'isDefined', message: 'inputBucket is required' },
    ]);
  });

  it.each([
    [{ jobName: 'Test_Job' }, 'jobName', 'matches'],
    [{ jobName: 'a'.repeat(27) }, 'jobName', 'isLength'],
    [{ jobName: 7 }, 'jobName', 'isString'],
    [{ image: 'not an image' }, 'image', 'imageReference'],
    [{ inputBucket: 'In_Bucket' }, 'inputBucket', 'bucketName'],
    [{ outputBucket: 'ab' }, 'outputBucket', 'bucketName'],
    [{ timeOut: -1 }, 'timeOut', 'min'],
    [{ timeOut: 1.5 }, 'timeOut', 'isInt'],
    [{ timeOut: '5' }, 'timeOut', 'isInt'],
    [{ timeOut: 121 }, 'timeOut', 'max'],
    [{ prefix: 'has space' }, 'prefix', 'matches'],
    [{ id: 'not-a-uuid' }, 'id', 'isUuid'],
  ])('rejects %j naming %s and the rule %s', (override, field, rule) => {
    const result = validateWorkRequest({ ...valid, ...override }, limits);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => [p.field, p.rule])).toEqual([[field, rule]]);
  });

  it.each([null, 'text', 42, [valid]])('rejects a body that is not an object: %j', (body) => {
    const result = validateWorkRequest(body, limits);
    expect(!result.ok && result.problems).toEqual([{ field: '(body)', rule: 'object', message: 'the work request must be a JSON object' }]);
  });

  it('describes all problems in one line', () => {
    const result = validateWorkRequest({ image: 'x', jobName: 'BAD' }, limits);
    expect(!result.ok && describeProblems(result.problems)).toBe(
      "jobName must be a lowercase RFC 1123 label: a-z, 0-9 and '-', beginning and ending with a letter or digit; inputBucket is required",
    );
  });
});
