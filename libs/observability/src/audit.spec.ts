import { describe, expect, it } from '@jest/globals';
import { audit } from './audit.js';
import { createRootLogger } from './logger.js';

describe('audit', () => {
  it('writes submissions at info and denials at warn, with the entry as a field a log store can select', async () => {
    const written: string[] = [];
    const logger = await createRootLogger({ app: 'test', level: 'info', format: 'json', destination: { write: (line: string) => written.push(line) } });
    audit(logger, { action: 'submit', owner: 'alice', source: 'http', id: 'a1', image: 'mstc/python-test' });
    audit(logger, { action: 'deny', owner: 'bob', source: 'amqp', image: 'evil/miner', reason: 'image not allowed' });
    const [submit, deny] = written.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(submit).toMatchObject({ level: 30, msg: 'audit: submit', audit: { action: 'submit', owner: 'alice', source: 'http', id: 'a1', image: 'mstc/python-test' } });
    expect(deny).toMatchObject({ level: 40, msg: 'audit: deny (image not allowed)', audit: { action: 'deny', owner: 'bob', source: 'amqp', reason: 'image not allowed' } });
  });
});
