import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { backoffLimitOf, podHeadersWanted, podLogsBody, secretValuesToMask, storedLogBody, type PodLogPart } from './job-log.js';

async function text(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

const part = (podName: string, log?: string, why?: string): PodLogPart => ({ podName, ...(log !== undefined && { log: Readable.from([Buffer.from(log)]) }), ...(why && { why }) });
const ending = { uniqueJobName: 'test-job-1', reason: 'Error' };

describe('the stored log', () => {
  it("is the one pod's log as it is, when the Job may not retry", async () => {
    expect(await text(storedLogBody([part('pod-a', 'Started\nSUCCESS\n')], 0, ending))).toBe('Started\nSUCCESS\n');
  });

  it('puts every pod under a header when the Job may retry, even if it ran once', async () => {
    expect(await text(storedLogBody([part('pod-a', 'Started\n')], 1, ending))).toBe('==> pod pod-a <==\nStarted\n');
  });

  it('puts every pod under a header when there are several, says why one has no log, and ends with the note', async () => {
    const log = await text(storedLogBody([part('pod-a', 'one\n'), part('pod-b', undefined, 'container never ran'), part('pod-c')], 0, { ...ending, note: 'The Job was deleted before it finished.' }));
    expect(log).toBe('==> pod pod-a <==\none\n\n==> pod pod-b <==\n(no log: container never ran)\n\n==> pod pod-c <==\n(no log: pod pod-c is gone)\n\nThe Job was deleted before it finished.\n');
  });

  it('is the note alone when no pod ran, or says that nothing could be read', async () => {
    expect(await text(storedLogBody([], 0, { ...ending, note: "The Job's container could not start: ErrImagePull: x" }))).toBe("The Job's container could not start: ErrImagePull: x\n");
    expect(await text(storedLogBody([], 0, ending))).toBe('No log could be read for Job test-job-1: Error.\n');
  });

  it('begins with what a follower sends of the same pods, the headers decided once the first pod is there', async () => {
    const parts = () => [part('pod-a', 'one\n'), part('pod-b', 'two\n')];
    async function* arriving(): AsyncGenerator<PodLogPart> {
      yield* parts();
    }
    let asked = 0;
    const followed = await text(podLogsBody(arriving(), () => (asked++, podHeadersWanted(1, 0))));
    expect(asked).toBe(1);
    expect((await text(storedLogBody(parts(), 1, ending))).startsWith(followed)).toBe(true);
  });
});

describe('what a follower reads from the cluster', () => {
  it("reads the Job's backoffLimit from its pod, 0 when not noted", () => {
    expect(backoffLimitOf({ metadata: { annotations: { 'cloud-worker.io/backoff-limit': '3' } } })).toBe(3);
    expect(backoffLimitOf({ metadata: {} })).toBe(0);
  });

  it("takes the secret key and session token of a Job's own Secret, never the access key", () => {
    const data = { accessKey: 'QUtJQQ==', secretKey: Buffer.from('s3cr3t').toString('base64'), sessionToken: Buffer.from('t0k3n').toString('base64') };
    expect(secretValuesToMask({ data })).toEqual(['s3cr3t', 't0k3n']);
    expect(secretValuesToMask(undefined)).toEqual([]);
  });
});
