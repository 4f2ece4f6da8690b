import { describe, expect, it } from '@jest/globals';
import { ApiConfig } from './api.config.js';
import { InvalidConfigurationError, loadConfig } from './load-config.js';
import { WorkerConfig } from './worker.config.js';

describe('loadConfig', () => {
  it('gives the local defaults of the spec when nothing is set', () => {
    const config = loadConfig(ApiConfig, {});
    expect(config).toMatchObject({
      AMQP_URL: 'amqp://guest:guest@localhost:5672',
      WORK_EXCHANGE: 'mstc.exchange',
      WORK_QUEUE: 'mstc.queue.work',
      S3_ENDPOINT: 'http://localhost:9000',
      S3_ACCESS_KEY: 'minioadmin',
      S3_SECRET_KEY: 'minioadmin',
      PORT: 3000,
      DEFAULT_TIMEOUT_MINUTES: 15,
    });
    expect(config.workRequestRules).toMatchObject({ timeOut: { defaultMinutes: 15, maxMinutes: 1440 }, recordsBucket: 'cloud-worker-records' });
  });

  it('parses numbers, lists and JSON from the environment', () => {
    const config = loadConfig(WorkerConfig, {
      CONCURRENCY: '25',
      JOB_IMAGE_PULL_SECRETS: 'harbor-robot, other ',
      JOB_NODE_SELECTOR: '{"kubernetes.io/arch":"amd64"}',
      JOB_TOLERATIONS: '[{"key":"gpu","operator":"Exists","effect":"NoSchedule"}]',
      JOB_CPU_LIMIT: '500m',
      JOB_NAMESPACE: 'mstc-dev',
    });
    expect(config).toMatchObject({
      CONCURRENCY: 25,
      JOB_IMAGE_PULL_SECRETS: ['harbor-robot', 'other'],
      JOB_NODE_SELECTOR: { 'kubernetes.io/arch': 'amd64' },
      JOB_TOLERATIONS: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }],
      JOB_CPU_LIMIT: '500m',
      JOB_NAMESPACE: 'mstc-dev',
      JOB_TTL_SECONDS: 30,
    });
  });

  it('names every bad variable and its value in one error', () => {
    const load = () =>
      loadConfig(WorkerConfig, {
        CONCURRENCY: 'ten',
        AMQP_URL: 'http://rabbit',
        JOB_NODE_SELECTOR: '{"zone": 5}',
        JOB_TOLERATIONS: 'not json',
        JOB_MEMORY_LIMIT: '1 GB',
      });
    expect(load).toThrow(InvalidConfigurationError);
    expect(load).toThrow(
      'Invalid environment variables: AMQP_URL must be an amqp:// or amqps:// URL (got "http://rabbit"); ' +
        'CONCURRENCY must be an integer (got "ten"); ' +
        'JOB_MEMORY_LIMIT must be a Kubernetes quantity such as 512Mi (got "1 GB"); ' +
        'JOB_NODE_SELECTOR must be a JSON object of strings (got "{\\"zone\\": 5}"); ' +
        'JOB_TOLERATIONS must be a JSON array of tolerations (got "not json")',
    );
  });

  it('reads the caps on requested resources, for the api and the worker alike', () => {
    for (const Config of [ApiConfig, WorkerConfig] as Array<new () => ApiConfig | WorkerConfig>) {
      expect(loadConfig(Config, { JOB_MAX_CPU: '4', JOB_MAX_MEMORY: '16Gi' }).workRequestRules.resourceCaps).toEqual({ cpu: '4', memory: '16Gi' });
      expect(loadConfig(Config, {}).workRequestRules.resourceCaps).toEqual({});
      expect(() => loadConfig(Config, { JOB_MAX_CPU: 'four', JOB_MAX_MEMORY: '16 GB' })).toThrow(
        'Invalid environment variables: JOB_MAX_CPU must be a Kubernetes quantity such as 4 or 3500m (got "four"); JOB_MAX_MEMORY must be a Kubernetes quantity such as 16Gi (got "16 GB")',
      );
    }
  });

  it("holds the worker's default resources within the caps", () => {
    expect(() => loadConfig(WorkerConfig, { JOB_MAX_CPU: '2', JOB_CPU_LIMIT: '2500m', JOB_MAX_MEMORY: '1Gi', JOB_MEMORY_REQUEST: '1Gi' })).toThrow(
      'Invalid environment variables: JOB_CPU_LIMIT must be at most JOB_MAX_CPU (2) (got "2500m")',
    );
  });

  it('never echoes a credential: a URL keeps its user but not its password', () => {
    const load = () => loadConfig(WorkerConfig, { AMQP_URL: 'http://someone:s3cret@rabbit', S3_ENDPOINT: 'ftp://key:s3cret@s3' });
    expect(load).toThrow(
      'Invalid environment variables: AMQP_URL must be an amqp:// or amqps:// URL (got "http://someone:***@rabbit"); ' +
        'S3_ENDPOINT must be an http:// or https:// URL (got "ftp://key:***@s3")',
    );
  });

  it('holds RECORDS_BUCKET to the S3 bucket naming rules the work requests follow', () => {
    expect(() => loadConfig(WorkerConfig, { RECORDS_BUCKET: 'a..b' })).toThrow('RECORDS_BUCKET must not contain two adjacent dots (S3 bucket naming rules) (got "a..b")');
    expect(() => loadConfig(WorkerConfig, { RECORDS_BUCKET: '192.168.1.1' })).toThrow('RECORDS_BUCKET must not be formatted as an IP address');
  });

  it('reads FILES_MAX_BYTES (5 GiB by default) and names a bad one', () => {
    expect(loadConfig(ApiConfig, {}).FILES_MAX_BYTES).toBe(5 * 1024 ** 3);
    expect(loadConfig(ApiConfig, { FILES_MAX_BYTES: '68719476736' }).FILES_MAX_BYTES).toBe(64 * 1024 ** 3);
    expect(() => loadConfig(ApiConfig, { FILES_MAX_BYTES: '83886080001' })).toThrow('FILES_MAX_BYTES must be at most 83886080000 (80 GiB: 10,000 parts of 8 MiB)');
    expect(() => loadConfig(ApiConfig, { FILES_MAX_BYTES: '5GB' })).toThrow('FILES_MAX_BYTES must be an integer (got "5GB")');
    expect(() => loadConfig(ApiConfig, { FILES_MAX_BYTES: '0' })).toThrow('FILES_MAX_BYTES must be at least 1 (got "0")');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(WorkerConfig, { JOB_NAMESPACE: '', CONCURRENCY: '' })).toMatchObject({ JOB_NAMESPACE: undefined, CONCURRENCY: 10 });
  });

  it('reads booleans and lists of the security settings, and names a bad boolean', () => {
    const config = loadConfig(WorkerConfig, { ALLOWED_IMAGES: 'harbor.example.org/mstc/*, mstc/*', IMAGE_DENY_LATEST: 'TRUE', JOB_RUN_AS_NON_ROOT: 'false' });
    expect(config).toMatchObject({ ALLOWED_IMAGES: ['harbor.example.org/mstc/*', 'mstc/*'], IMAGE_DENY_LATEST: true, IMAGE_REQUIRE_DIGEST: false, JOB_RUN_AS_NON_ROOT: false });
    expect(() => loadConfig(ApiConfig, { IMAGE_DENY_LATEST: 'yes' })).toThrow('IMAGE_DENY_LATEST must be true or false (got "yes")');
  });

  it('reads the image policy into the work request rules, and names every bad ALLOWED_IMAGES pattern at boot', () => {
    const { images } = loadConfig(ApiConfig, { ALLOWED_IMAGES: 'mstc/*', IMAGE_REQUIRE_DIGEST: 'true' }).workRequestRules;
    expect(images.denials('mstc/python-test').map((denial) => denial.rule)).toEqual(['imageRequireDigest']);
    expect(() => loadConfig(WorkerConfig, { ALLOWED_IMAGES: 'mstc/*, harbor.example.org, mstc/*/x' })).toThrow(
      'Invalid environment variables: ALLOWED_IMAGES pattern "harbor.example.org" reads as the Docker Hub image docker.io/library/harbor.example.org; ' +
        'for a registry write "harbor.example.org/*", pattern "mstc/*/x" may use "*" only alone or as its last segment ("mstc/*") (got "mstc/*, harbor.example.org, mstc/*/x")',
    );
    expect(() => loadConfig(WorkerConfig, { ALLOWED_IMAGES: ' , ' })).toThrow('ALLOWED_IMAGES must be a comma-separated list of image patterns');
  });
});
