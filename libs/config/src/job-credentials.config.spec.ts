import { describe, expect, it } from '@jest/globals';
import { loadConfig } from './load-config.js';
import { WorkerConfig } from './worker.config.js';

describe("the Jobs' S3 credentials settings", () => {
  it('need the Jobs user with JOB_S3_CREDENTIALS=sts, and not without', () => {
    expect(() => loadConfig(WorkerConfig, { JOB_S3_CREDENTIALS: 'sts' })).toThrow('JOB_S3_ACCESS_KEY is needed with JOB_S3_CREDENTIALS=sts');
    expect(() => loadConfig(WorkerConfig, { JOB_S3_CREDENTIALS: 'sts', JOB_S3_ACCESS_KEY: 'jobs' })).toThrow('JOB_S3_SECRET_KEY is needed with JOB_S3_CREDENTIALS=sts');
    expect(loadConfig(WorkerConfig, { JOB_S3_CREDENTIALS: 'sts', JOB_S3_ACCESS_KEY: 'jobs', JOB_S3_SECRET_KEY: 's' })).toMatchObject({ JOB_S3_CREDENTIALS: 'sts' });
    expect(loadConfig(WorkerConfig, {})).toMatchObject({ JOB_S3_CREDENTIALS: 'secret', JOB_S3_ACCESS_KEY: undefined });
    expect(() => loadConfig(WorkerConfig, { JOB_S3_CREDENTIALS: 'iam' })).toThrow('JOB_S3_CREDENTIALS must be secret or sts');
  });
});
