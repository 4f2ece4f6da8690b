import { describe, expect, it } from '@jest/globals';
import { ServiceUnavailableException } from '@nestjs/common';
import type { HealthCheckResult } from '@nestjs/terminus';
import { pino } from 'pino';
import { ReadinessLog } from './health.js';

function readinessLog() {
  const lines: Array<{ level: number; msg: string; down?: Record<string, string> }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log: new ReadinessLog(logger), lines };
}

const up: HealthCheckResult = { status: 'ok', info: { rabbitmq: { status: 'up' } }, error: {}, details: { rabbitmq: { status: 'up' } } };
function down(error: HealthCheckResult['error']): Promise<never> {
  return Promise.reject(new ServiceUnavailableException({ status: 'error', info: {}, error, details: error }));
}

describe('ReadinessLog', () => {
  it('logs readiness when it changes, naming what is down and why, and not on every probe', async () => {
    const { log, lines } = readinessLog();
    await log.track(Promise.resolve(up));
    await log.track(Promise.resolve(up));
    const s3Down = { s3: { status: 'down' as const, bucket: 'records', message: 'connect ECONNREFUSED 127.0.0.1:9000' } };
    for (let probe = 0; probe < 3; probe++) await expect(log.track(down(s3Down))).rejects.toThrow(ServiceUnavailableException);
    await expect(log.track(down({ ...s3Down, rabbitmq: { status: 'down', work: false, control: true } }))).rejects.toThrow(ServiceUnavailableException);
    await log.track(Promise.resolve(up));
    expect(lines.map(({ msg }) => msg)).toEqual([
      'ready',
      'not ready: s3 (connect ECONNREFUSED 127.0.0.1:9000)',
      'not ready: s3 (connect ECONNREFUSED 127.0.0.1:9000), rabbitmq ({"work":false,"control":true})',
      'ready again',
    ]);
    expect(lines[1]).toMatchObject({ level: 40, down: { s3: 'connect ECONNREFUSED 127.0.0.1:9000' } });
  });

  it('passes other failures through without logging them as readiness', async () => {
    const { log, lines } = readinessLog();
    await expect(log.track(Promise.reject(new Error('bug')))).rejects.toThrow('bug');
    expect(lines).toEqual([]);
  });
});
