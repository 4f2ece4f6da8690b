import { describe, expect, it } from '@jest/globals';
import { Client } from 'minio';
import { jobsPolicy } from '../local-stack/s3-secret.js';
import { startS3ServerProcess } from './server-process.js';

describe('the S3 test server in a process of its own', () => {
  it('serves, takes users, reports its requests, and exits on stop', async () => {
    const s3 = await startS3ServerProcess({ accessKey: 'admin', secretKey: 'admin-secret' });
    try {
      expect(s3.pid).not.toBe(process.pid);
      const client = (accessKey: string, secretKey: string) => new Client({ endPoint: s3.host, port: s3.port, useSSL: false, accessKey, secretKey });
      await client('admin', 'admin-secret').makeBucket('work');
      await s3.addUser({ accessKey: 'jobs', secretKey: 'jobs-secret', policy: jobsPolicy('records') });
      await client('jobs', 'jobs-secret').putObject('work', 'out.txt', 'done');
      await expect(client('jobs', 'jobs-secret').putObject('records', 'jobs/1.json', '{}')).rejects.toMatchObject({ code: 'AccessDenied' });
      expect(await s3.requestLog()).toEqual(expect.arrayContaining([expect.stringMatching(/^PUT \/work\/out\.txt/), expect.stringMatching(/^PUT \/records\/jobs\/1\.json/)]));
    } finally {
      await s3.stop();
    }
    expect(() => process.kill(s3.pid, 0)).toThrow();
    await expect(s3.requestLog()).rejects.toThrow('the S3 server process has ended');
  });
});
