import { describe, expect, it } from '@jest/globals';
import { ImagePolicy } from './image-policy.js';
import { describeProblems, validateWorkRequest } from './work-request.js';

const limits = { timeOut: { defaultMinutes: 15, maxMinutes: 120 }, recordsBucket: 'cloud-worker-records', images: new ImagePolicy({ allowed: ['*'], denyLatest: false, requireDigest: false }) };
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
    [{ prefix: 'run-*' }, 'prefix', 'matches'],
    [{ prefix: 'a/../b' }, 'prefix', 'objectNamePrefix'],
    [{ prefix: '..' }, 'prefix', 'objectNamePrefix'],
    [{ prefix: './x' }, 'prefix', 'objectNamePrefix'],
    [{ prefix: 'x/.' }, 'prefix', 'objectNamePrefix'],
    [{ prefix: '/x' }, 'prefix', 'objectNamePrefix'],
    [{ prefix: 'a//b' }, 'prefix', 'objectNamePrefix'],
    [{ prefix: 'run-1/' }, 'prefix', 'objectNamePrefix'],
    [{ prefix: 'x'.repeat(957) }, 'prefix', 'objectNamePrefix'],
    [{ inputBucket: 'cloud-worker-records' }, 'inputBucket', 'recordsBucket'],
    [{ outputBucket: 'cloud-worker-records' }, 'outputBucket', 'recordsBucket'],
    [{ id: 'not-a-uuid' }, 'id', 'isUuid'],
  ])('rejects %j naming %s and the rule %s', (override, field, rule) => {
    const result = validateWorkRequest({ ...valid, ...override }, limits);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => [p.field, p.rule])).toEqual([[field, rule]]);
  });

  it('refuses a backslash in a prefix by its characters and as an object name', () => {
    const result = validateWorkRequest({ ...valid, prefix: 'a\\b' }, limits);
    expect(!result.ok && result.problems).toEqual([
      { field: 'prefix', rule: 'objectNamePrefix', message: 'prefix must not contain a backslash' },
      { field: 'prefix', rule: 'matches', message: expect.any(String) },
    ]);
  });

  it.each(['a..b', '..a/b..', 'x/.hidden', 'run.1/part-2', "a!_.'()-/b"])('takes the prefix %j, whose segments are names', (prefix) => {
    expect(validateWorkRequest({ ...valid, prefix }, limits)).toMatchObject({ ok: true, request: { prefix } });
  });

  it('names why a climbing prefix and the records bucket are refused', () => {
    const result = validateWorkRequest({ ...valid, prefix: 'a/../b', outputBucket: 'cloud-worker-records' }, limits);
    expect(!result.ok && result.problems).toEqual([
      { field: 'outputBucket', rule: 'recordsBucket', message: 'outputBucket must not be cloud-worker-records: it holds the job records (RECORDS_BUCKET)' },
      { field: 'prefix', rule: 'objectNamePrefix', message: 'prefix must not have "." or ".." segments' },
    ]);
  });

  it('holds the image to the image policy, naming each rule broken', () => {
    const images = new ImagePolicy({ allowed: ['harbor.example.org/mstc/*', 'mstc/*'], denyLatest: true, requireDigest: false });
    const result = validateWorkRequest({ ...valid, image: 'evil/miner' }, { ...limits, images });
    expect(!result.ok && result.problems).toEqual([
      { field: 'image', rule: 'allowedImages', message: 'image "evil/miner" (docker.io/evil/miner) is not allowed: ALLOWED_IMAGES permits harbor.example.org/mstc/*, mstc/*' },
      { field: 'image', rule: 'imageDenyLatest', message: expect.stringContaining('IMAGE_DENY_LATEST') },
    ]);
    expect(validateWorkRequest({ ...valid, image: 'mstc/python-test:1.0' }, { ...limits, images }).ok).toBe(true);
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
