import { describe, expect, it } from '@jest/globals';
import { loadConfig } from './load-config.js';
import { ApiConfig } from './api.config.js';
import { WorkerConfig } from './worker.config.js';

describe("the Jobs' S3 credentials settings", () => {
  it('need the Jobs user with JOB_S3_CREDENTIALS=sts, and not without', () => {
    expect(() => loadConfig(WorkerConfig, { JOB_S3_CREDENTIALS: 'sts' })).toThrow('JOB_S3_ACCESS_KEY is needed with JOB_S3_CREDENTIALS=sts');
    expect(() => loadConfig(WorkerConfig, { JOB_S3_CREDENTIALS: 'sts', JOB_S3_ACCESS_KEY: 'jobs' })).toThrow('JOB_S3_SECRET_KEY is needed with JOB_S3_CREDENTIALS=sts');
    expect(loadConfig(WorkerConfig, { JOB_S3_CREDENTIALS: 'sts', JOB_S3_ACCESS_KEY: 'jobs', JOB_S3_SECRET_KEY: 's' })).toMatchObject({ JOB_S3_CREDENTIALS: 'sts' });
    expect(loadConfig(WorkerConfig, {})).toMatchObject({ JOB_S3_CREDENTIALS: 'secret', JOB_S3_ACCESS_KEY: undefined });
    expect(() => loadConfig(WorkerConfig, { JOB_S3_CREDENTIALS: 'iam' })).toThrow('JOB_S3_CREDENTIALS must be secret or sts');
  });

  it('are read by the api too, which masks the secret key when given and never needs it (it asks no STS)', () => {
    expect(loadConfig(ApiConfig, { JOB_S3_CREDENTIALS: 'sts' })).toMatchObject({ JOB_S3_CREDENTIALS: 'sts', JOB_S3_SECRET_KEY: undefined });
    expect(loadConfig(ApiConfig, { JOB_S3_SECRET_KEY: 'k', JOB_NAMESPACE: 'jobs' })).toMatchObject({ JOB_S3_SECRET_KEY: 'k', JOB_NAMESPACE: 'jobs', LOG_LIMIT_BYTES: 64 * 1024 * 1024 });
    expect(() => loadConfig(ApiConfig, { JOB_NAMESPACE: 'Not_A_Label' })).toThrow('JOB_NAMESPACE must be a DNS-1123 label');
  });
});

describe("the api's event stream settings", () => {
  it('keep streams alive every 15 s and hold 10000 events by default, and refuse values out of range', () => {
    expect(loadConfig(ApiConfig, {})).toMatchObject({ SSE_KEEPALIVE_SECONDS: 15, SSE_REPLAY_EVENTS: 10_000 });
    expect(() => loadConfig(ApiConfig, { SSE_KEEPALIVE_SECONDS: '0' })).toThrow('SSE_KEEPALIVE_SECONDS must be at least 1');
    expect(() => loadConfig(ApiConfig, { SSE_REPLAY_EVENTS: '-1' })).toThrow('SSE_REPLAY_EVENTS must be 0 or more');
  });
});
