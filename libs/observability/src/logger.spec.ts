import { describe, expect, it } from '@jest/globals';
import { createRootLogger, NestPinoLogger, type Logger } from './logger.js';
import { redactSecretFields, redactText } from './redact.js';

/** A root logger as the apps make it, its lines kept (each must still be JSON). */
async function capture(): Promise<{ logger: Logger; lines: () => Array<Record<string, unknown>>; text: () => string }> {
  const written: string[] = [];
  const logger = await createRootLogger({ app: 'test', level: 'trace', format: 'json', destination: { write: (line: string) => written.push(line) } });
  return {
    logger,
    lines: () => written.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => written.join(''),
  };
}

describe('the root logger', () => {
  it('keeps the user of a URL and hides its password, in any string at any depth', async () => {
    const { logger, lines, text } = await capture();
    logger.warn(
      {
        url: 'amqp://someone:s3cret@127.0.0.1:5999',
        nested: { deeper: { deepest: { urls: ['x', 'see https://admin:pa55@s3.local:9000/bucket for details'] } } },
      },
      'cannot reach amqps://someone:s3cret@rabbit:5671/vhost',
    );
    logger.child({ broker: 'amqp://child:hidden@rabbit' }).info('from a child logger');
    expect(text()).not.toMatch(/s3cret|pa55|hidden/);
    const [first, second] = lines();
    expect(first).toMatchObject({
      url: 'amqp://someone:***@127.0.0.1:5999',
      nested: { deeper: { deepest: { urls: ['x', 'see https://admin:***@s3.local:9000/bucket for details'] } } },
      msg: 'cannot reach amqps://someone:***@rabbit:5671/vhost',
    });
    expect(second).toMatchObject({ broker: 'amqp://child:***@rabbit', msg: 'from a child logger' });
  });

  it('scrubs an Error with a URL in its message: message, stack, own fields, and the line message taken from it', async () => {
    const { logger, lines, text } = await capture();
    const error = Object.assign(new Error('connect failed to amqp://someone:s3cret@127.0.0.1:5999'), { url: 'amqp://someone:s3cret@127.0.0.1:5999' });
    logger.error({ err: error });
    logger.error(error);
    // What amqp-connection-manager rejects with, as the api logged it: an error beside the URL, not an Error.
    logger.warn({ err: { err: new Error('connect ECONNREFUSED'), url: 'amqp://someone:s3cret@127.0.0.1:5999' } }, 'RabbitMQ is not reachable yet');
    logger.warn({ failure: { cause: error } }, 'nested');
    expect(text()).not.toContain('s3cret');
    for (const line of lines().slice(0, 2)) {
      expect(line.msg).toBe('connect failed to amqp://someone:***@127.0.0.1:5999');
      expect(line.err).toMatchObject({ type: 'Error', message: 'connect failed to amqp://someone:***@127.0.0.1:5999', url: 'amqp://someone:***@127.0.0.1:5999' });
      expect((line.err as { stack: string }).stack).toMatch(/^Error: connect failed to amqp:\/\/someone:\*\*\*@127\.0\.0\.1:5999\n\s+at /);
    }
    expect(lines()[2]).toMatchObject({ err: { url: 'amqp://someone:***@127.0.0.1:5999' } });
  });

  it('replaces secret fields at any depth, Errors included, and keeps identifiers such as the access key', async () => {
    const { logger, lines, text } = await capture();
    const error = Object.assign(new Error('request failed'), { config: { headers: { Authorization: 'Bearer tok-1', accept: 'application/json' } } });
    logger.info({
      password: 'pw-1',
      s3: { S3_ACCESS_KEY: 'AKIA-visible', S3_SECRET_KEY: 'sk-1', accessKey: 'visible-too', secretKey: 'sk-2', region: 'us-east-1' },
      a: { b: { c: { d: { bearerToken: 'tok-2', cookie: 'session=c-1', 'set-cookie': ['c-2'], 'client-key-data': 'LS0t-1', token: { nested: 'tok-3' } } } } },
      list: [{ apiKey: 'k-1' }, { name: 'plain' }],
      err: error,
    });
    expect(text()).not.toMatch(/pw-1|sk-1|sk-2|tok-1|tok-2|tok-3|c-1|c-2|LS0t-1|k-1/);
    expect(lines()[0]).toMatchObject({
      password: '***',
      s3: { S3_ACCESS_KEY: 'AKIA-visible', S3_SECRET_KEY: '***', accessKey: 'visible-too', secretKey: '***', region: 'us-east-1' },
      a: { b: { c: { d: { bearerToken: '***', cookie: '***', 'set-cookie': '***', 'client-key-data': '***', token: '***' } } } },
      list: [{ apiKey: '***' }, { name: 'plain' }],
      err: { type: 'Error', message: 'request failed', config: { headers: { Authorization: '***', accept: 'application/json' } } },
    });
    // The caller's objects are left as they were.
    expect(error.config.headers.Authorization).toBe('Bearer tok-1');
  });

  it('hides secrets written into text: a kubeconfig quoted by a YAML error, headers, query strings', async () => {
    const { logger, lines, text } = await capture();
    logger.error(new Error('bad indentation (12:3)\n\n 11 |   user:\n 12 |     token: s3cret-kube\n 13 |     password: "s3cret-pw"'));
    logger.warn('sent authorization: Bearer s3cret-bearer to https://api.local/x?token=s3cret-query&watch=true');
    logger.warn({ body: '{"kind":"Config","secretKey":"s3cret-json"}' }, 'JSON in a string');
    expect(text()).not.toContain('s3cret');
    expect(lines()[0]!.msg).toBe('bad indentation (12:3)\n\n 11 |   user:\n 12 |     token: ***\n 13 |     password: "***"');
    expect(lines()[1]!.msg).toBe('sent authorization: Bearer *** to https://api.local/x?token=***&watch=true');
    expect(lines()[2]!.body).toBe('{"kind":"Config","secretKey":"***"}');
  });

  it('leaves ordinary values as they are', async () => {
    const { logger, lines } = await capture();
    const fields = {
      url: 'http://[::1]:3000',
      endpoint: 'http://127.0.0.1:9000/bucket/key@2x.png',
      broker: 'amqp://rabbit:5672',
      anonymous: 'amqp://guest@rabbit',
      mail: 'ops@example.com',
      jobName: 'test-job-1',
      tokens: 3,
      secretName: 'cloud-worker-s3',
      counts: [1, 2, { done: true }],
      nothing: null,
      text: 'the token expired at 12:00; see docs',
    };
    logger.info(fields, 'listening on http://[::1]:3000 as ops@example.com');
    expect(lines()[0]).toMatchObject({ ...fields, msg: 'listening on http://[::1]:3000 as ops@example.com' });
    expect(redactSecretFields(fields)).toBe(fields);
    expect(redactText('ordinary text')).toBe('ordinary text');
  });

  it('keeps every line JSON, whatever a password is made of', async () => {
    const { logger, lines, text } = await capture();
    logger.info({ url: 'amqp://u:pa"s\\s@h', other: 'a@b', n: 1 }, 'amqp://u:x"y@h and then "quoted"');
    expect(text()).not.toMatch(/pa\\"s|x\\"y/);
    expect(lines()[0]).toMatchObject({ url: 'amqp://u:***@h', other: 'a@b', n: 1, msg: 'amqp://u:***@h and then "quoted"' });
  });

  it('scrubs what Nest logs through it', async () => {
    const { logger, lines, text } = await capture();
    const nest = new NestPinoLogger(logger);
    nest.error('cannot connect to amqp://someone:s3cret@rabbit', 'Error: at amqp://someone:s3cret@rabbit\n    at x', 'ClientProxy');
    nest.warn({ url: 'amqp://someone:s3cret@rabbit', password: 's3cret' }, 'Server');
    nest.error(new Error('to amqp://someone:s3cret@rabbit'), 'Server');
    expect(text()).not.toContain('s3cret');
    expect(lines()[0]).toMatchObject({ context: 'ClientProxy', msg: 'cannot connect to amqp://someone:***@rabbit', stack: 'Error: at amqp://someone:***@rabbit\n    at x' });
    expect(lines()[1]).toMatchObject({ context: 'Server', url: 'amqp://someone:***@rabbit', password: '***' });
  });
});
