import { describe, expect, it } from '@jest/globals';
import { ImagePolicy } from './image-policy.js';
import { describeProblems, sameWork, validateWorkRequest, type WorkRequest, type WorkRequestRules } from './work-request.js';

const limits = { timeOut: { defaultMinutes: 15, maxMinutes: 120 }, recordsBucket: 'cloud-worker-records', images: new ImagePolicy({ allowed: ['*'], denyLatest: false, requireDigest: false }), resourceCaps: {} };
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

  describe('resources, env and args', () => {
    const capped = { ...limits, resourceCaps: { cpu: '4', memory: '16Gi' } };
    const problemsOf = (extra: Record<string, unknown>, rules: WorkRequestRules = capped) => {
      const result = validateWorkRequest({ ...valid, ...extra }, rules);
      return result.ok ? [] : result.problems;
    };

    it('keeps them as given, quantities as strings, numbers of cores or bytes included', () => {
      const extra = {
        resources: { requests: { cpu: 0.5, memory: '1.5Gi' }, limits: { cpu: '4', memory: 17179869184 } },
        env: [{ name: 'LOG_LEVEL', value: 'debug' }, { name: '_x1', value: '' }],
        args: ['--iterations', '10', '$(INPUT_BUCKET)'],
      };
      expect(validateWorkRequest({ ...valid, ...extra }, capped)).toEqual({
        ok: true,
        request: {
          ...valid,
          outputBucket: 'test.inputs',
          timeOut: 15,
          resources: { requests: { cpu: '0.5', memory: '1.5Gi' }, limits: { cpu: '4', memory: '17179869184' } },
          env: extra.env,
          args: extra.args,
        },
      });
    });

    it('leaves out what says nothing: empty lists and resources', () => {
      const result = validateWorkRequest({ ...valid, resources: { requests: {} }, env: [], args: [] }, capped);
      expect(result.ok && result.request).toEqual({ ...valid, outputBucket: 'test.inputs', timeOut: 15 });
    });

    it('refuses a quantity above its cap, naming the field, the cap and its setting', () => {
      expect(problemsOf({ resources: { requests: { cpu: '4001m' }, limits: { memory: '17Gi' } } })).toEqual([
        { field: 'resources.requests.cpu', rule: 'max', message: 'resources.requests.cpu must be at most 4 (JOB_MAX_CPU)' },
        { field: 'resources.limits.memory', rule: 'max', message: 'resources.limits.memory must be at most 16Gi (JOB_MAX_MEMORY)' },
      ]);
      expect(problemsOf({ resources: { limits: { cpu: '4000m', memory: '16384Mi' } } })).toEqual([]);
      expect(problemsOf({ resources: { limits: { cpu: '400', memory: '1Ei' } } }, limits)).toEqual([]);
    });

    it('refuses a request above the limit given beside it', () => {
      expect(problemsOf({ resources: { requests: { memory: '2Gi' }, limits: { memory: '2000Mi' } } })).toEqual([
        { field: 'resources.requests.memory', rule: 'requestWithinLimit', message: 'resources.requests.memory must be at most resources.limits.memory (2000Mi)' },
      ]);
    });

    it.each([
      [{ resources: { requests: { cpu: '1 core' } } }, 'resources.requests.cpu', 'quantity'],
      [{ resources: { requests: { cpu: '-1' } } }, 'resources.requests.cpu', 'quantity'],
      [{ resources: { requests: { cpu: -1 } } }, 'resources.requests.cpu', 'quantity'],
      [{ resources: { limits: { memory: '16GB' } } }, 'resources.limits.memory', 'quantity'],
      [{ resources: { limits: { memory: '0x10' } } }, 'resources.limits.memory', 'quantity'],
      [{ resources: { limits: { memory: true } } }, 'resources.limits.memory', 'quantity'],
      [{ resources: { limits: { 'nvidia.com/gpu': 1 } } }, 'resources.limits.nvidia.com/gpu', 'whitelistValidation'],
      [{ resources: { request: { cpu: '1' } } }, 'resources.request', 'whitelistValidation'],
      [{ resources: { limits: '2' } }, 'resources.limits', 'isObject'],
      [{ resources: [] }, 'resources', 'isObject'],
      [{ env: { A: 'b' } }, 'env', 'isArray'],
      [{ env: ['A=b'] }, 'env', 'isObject'],
      [{ env: [{ name: '1A', value: 'b' }] }, 'env[0].name', 'matches'],
      [{ env: [{ name: 'A-B', value: 'b' }] }, 'env[0].name', 'matches'],
      [{ env: [{ name: 'A', value: 1 }] }, 'env[0].value', 'isString'],
      [{ env: [{ name: 'A' }] }, 'env[0].value', 'isDefined'],
      [{ env: [{ name: 'A', value: 'x'.repeat(8193) }] }, 'env[0].value', 'maxLength'],
      [{ env: Array.from({ length: 101 }, (_, i) => ({ name: `V${i}`, value: '' })) }, 'env', 'arrayMaxSize'],
      [{ args: '--verbose' }, 'args', 'isArray'],
      [{ args: ['--n', 10] }, 'args', 'isString'],
      [{ args: ['x'.repeat(8193)] }, 'args', 'maxLength'],
      [{ args: Array.from({ length: 101 }, () => 'x') }, 'args', 'arrayMaxSize'],
    ])('rejects %j naming %s and the rule %s', (extra, field, rule) => {
      expect(problemsOf(extra).map((p) => [p.field, p.rule])).toEqual([[field, rule]]);
    });

    it('names a bad quantity with an example of its unit', () => {
      expect(problemsOf({ resources: { requests: { cpu: 'half' } } })[0]!.message).toBe('resources.requests.cpu must be a Kubernetes quantity of CPU such as "500m" or "2" (cores)');
    });

    it.each(['MSTC_JOB', 'INPUT_BUCKET', 'OUTPUT_BUCKET', 'FILE_PREFIX', 'MINIO_SERVICE_HOST', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'])('refuses %s, which the worker sets, naming it', (name) => {
      expect(problemsOf({ env: [{ name: 'OK', value: '1' }, { name, value: 'mine' }] })).toEqual([
        { field: 'env[1].name', rule: 'isNotIn', message: `env[1].name "${name}" is set by the worker and cannot be overridden` },
      ]);
    });

    it("refuses a variable read from elsewhere, such as another Job's Secret", () => {
      expect(problemsOf({ env: [{ name: 'STOLEN', valueFrom: { secretKeyRef: { name: 'other-job', key: 'secretKey' } } }] })).toEqual([
        { field: 'env[0].valueFrom', rule: 'whitelistValidation', message: 'env[0].valueFrom is not a field of env[0]' },
        { field: 'env[0].value', rule: 'isDefined', message: 'env[0].value is required' },
      ]);
    });

    it('refuses a variable named twice, naming it', () => {
      expect(problemsOf({ env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'A', value: '3' }] })).toEqual([
        { field: 'env', rule: 'arrayUnique', message: 'env must not name a variable twice: "A"' },
      ]);
    });
  });
});

describe('sameWork', () => {
  const base: WorkRequest = { ...valid, outputBucket: 'test.inputs', timeOut: 15, resources: { limits: { memory: '1Gi' } }, env: [{ name: 'A', value: '1' }], args: ['x'] };

  it('takes a replay of the same request for the same work, whatever the record left out', () => {
    expect(sameWork(base, structuredClone(base))).toBe(true);
    expect(sameWork({ ...valid, outputBucket: 'test.inputs', timeOut: 15 }, { ...valid, outputBucket: 'test.inputs', timeOut: 15 })).toBe(true);
  });

  it.each([
    { resources: { limits: { memory: '2Gi' } } },
    { resources: undefined },
    { env: [{ name: 'A', value: '2' }] },
    { env: undefined },
    { args: ['y'] },
    { args: undefined },
  ])('takes a request that differs in %j for other work', (change) => {
    expect(sameWork(base, { ...base, ...change })).toBe(false);
  });
});
