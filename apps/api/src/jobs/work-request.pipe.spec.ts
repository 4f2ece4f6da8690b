import { ApiConfig, loadConfig } from '@app/config';
import { createRootLogger } from '@app/observability';
import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { FakeAmqpPublisher } from '../../test/fakes.js';
import { ApiMetrics } from '../api.metrics.js';
import { InvalidInputException } from '../invalid-input.js';
import { WorkRequestPipe } from './work-request.pipe.js';

async function pipeWith(env: Record<string, string>): Promise<{ pipe: WorkRequestPipe; lines: Array<Record<string, unknown>> }> {
  const lines: Array<Record<string, unknown>> = [];
  const logger = await createRootLogger({ app: 'spec', level: 'info', format: 'json', destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } });
  const metrics = new ApiMetrics(new Registry(), new FakeAmqpPublisher() as never);
  return { pipe: new WorkRequestPipe(loadConfig(ApiConfig, env), metrics, logger), lines };
}

function refusal(transform: () => unknown): InvalidInputException {
  try {
    transform();
  } catch (error) {
    if (error instanceof InvalidInputException) return error;
    throw error;
  }
  throw new Error('the request was accepted');
}

describe('WorkRequestPipe', () => {
  const work = { image: 'evil/miner', jobName: 'mine', inputBucket: 'in.bucket', id: '3f1c2f5e-8a0b-4c1e-9d7a-2b6f0e4c9a11' };

  it('answers a denied image with 400 naming the rule and the allowed patterns, and audits the denial', async () => {
    const { pipe, lines } = await pipeWith({ ALLOWED_IMAGES: 'harbor.example.org/mstc/*,mstc/*' });
    const error = refusal(() => pipe.transform(work));
    expect(error.getStatus()).toBe(400);
    const reason = 'image "evil/miner" (docker.io/evil/miner) is not allowed: ALLOWED_IMAGES permits harbor.example.org/mstc/*, mstc/*';
    expect(error.getResponse()).toMatchObject({ message: `Invalid work request: ${reason}`, errors: [{ field: 'image', rule: 'allowedImages', message: reason }] });
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, audit: { action: 'deny', owner: null, source: 'http', id: work.id, image: 'evil/miner', reason, status: 400 } }),
    ]);
  });

  it('refuses the records bucket and a climbing prefix, each field named', async () => {
    const { pipe } = await pipeWith({ RECORDS_BUCKET: 'records.here' });
    const error = refusal(() => pipe.transform({ ...work, image: 'mstc/python-test', outputBucket: 'records.here', prefix: 'a/../../b' }));
    expect((error.getResponse() as { errors: unknown[] }).errors).toEqual([
      { field: 'outputBucket', rule: 'recordsBucket', message: expect.stringContaining('RECORDS_BUCKET') },
      { field: 'prefix', rule: 'objectNamePrefix', message: 'prefix must not have "." or ".." segments' },
    ]);
  });

  it('passes an allowed request with its defaults and logs nothing', async () => {
    const { pipe, lines } = await pipeWith({ ALLOWED_IMAGES: 'mstc/*' });
    expect(pipe.transform({ ...work, image: 'docker.io/mstc/python-test:1.0' })).toMatchObject({ image: 'docker.io/mstc/python-test:1.0', outputBucket: 'in.bucket' });
    expect(lines).toEqual([]);
  });
});
