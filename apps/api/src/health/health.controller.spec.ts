import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { FakeEdges } from '../../test/fakes.js';

describe('HealthController', () => {
  let edges: FakeEdges;
  let app: INestApplication;
  const ready = () => request(app.getHttpServer()).get('/health/ready');

  beforeEach(async () => {
    edges = new FakeEdges();
    app = await edges.app();
  });
  afterEach(() => app.close());

  it('is ready with both RabbitMQ connections up and the records bucket answering', async () => {
    const answer = await ready();
    expect(answer.status).toBe(200);
    expect(answer.body.details).toEqual({
      rabbitmq: { status: 'up', workQueue: true, publisher: true },
      s3: { status: 'up', bucket: edges.config.RECORDS_BUCKET },
    });
  });

  it.each([
    ['the work queue client', (edges: FakeEdges) => (edges.workQueue.down = true), { workQueue: false, publisher: true }],
    ['the publisher', (edges: FakeEdges) => (edges.publisher.down = true), { workQueue: true, publisher: false }],
  ])('is not ready while %s is disconnected', async (_connection, disconnect, state) => {
    disconnect(edges);
    const answer = await ready();
    expect(answer.status).toBe(503);
    expect(answer.body.details.rabbitmq).toEqual({ status: 'down', ...state });
    expect(answer.body.details.s3.status).toBe('up');
  });

  it('is not ready while the S3 store does not answer, and says why', async () => {
    edges.storage.failure = new Error('connect ECONNREFUSED 127.0.0.1:9000');
    const answer = await ready();
    expect(answer.status).toBe(503);
    expect(answer.body.details.s3).toEqual({ status: 'down', bucket: edges.config.RECORDS_BUCKET, message: 'connect ECONNREFUSED 127.0.0.1:9000' });
  });

  it('stays live whatever its dependencies do', async () => {
    edges.publisher.down = true;
    edges.storage.failure = new Error('down');
    const answer = await request(app.getHttpServer()).get('/health/live');
    expect(answer.status).toBe(200);
    expect(answer.body.details).toEqual({ process: { status: 'up', uptimeSeconds: expect.any(Number) } });
  });
});
