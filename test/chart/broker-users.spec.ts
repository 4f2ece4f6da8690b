// The bundled RabbitMQ's users, proven on a real broker: the definitions the chart's init container writes are
// imported (rabbitmqctl import_definitions) into a vhost of this test's own, with users of its own; then the apps'
// user declares and uses the topology, and the MSTC client's user does what an MSTC client does and is refused
// everything else.
import { amqpNames, assertTopology, type AmqpNames } from '@app/messaging';
import { loadConfig, WorkerConfig } from '@app/config';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AMQP_URL, eventually } from '../support/system.js';
import { brokerDefinitions, type BrokerDefinitions } from './broker-definitions.js';
import { NAMESPACE, render } from './helm.js';
import { Release, type SecretKeyRef } from './release.js';

const suffix = randomUUID().slice(0, 8);
const VHOST = `chart-broker-users-${suffix}`;
const APPS = { user: `chart-apps-${suffix}`, password: randomBytes(18).toString('hex') };
const CLIENT = { user: `chart-client-${suffix}`, password: randomBytes(18).toString('hex') };

/** rabbitmqctl on the node behind AMQP_URL: the default node on 5672, else the private node tools/local-stack/broker.ts starts. */
function rabbitmqctl(args: string[]): string {
  const port = new URL(AMQP_URL).port || '5672';
  const node = port === '5672' ? [] : ['-n', `cloud-worker-${port}@localhost`];
  const result = spawnSync('rabbitmqctl', [...node, ...args], { encoding: 'utf8' });
  if (result.error) throw new Error(`rabbitmqctl could not run (${result.error.message}); these tests need RabbitMQ's CLI beside the broker`);
  if (result.status !== 0) throw new Error(`rabbitmqctl ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

function brokerUrl({ user, password }: { user: string; password: string }): string {
  const url = new URL(AMQP_URL);
  url.username = user;
  url.password = password;
  url.pathname = `/${encodeURIComponent(VHOST)}`;
  return url.toString();
}

/** Runs `action` on a channel of its own and answers the error that closed it; fails if the broker allowed it. */
async function refusal(connection: ChannelModel, action: (channel: ConfirmChannel) => Promise<unknown>): Promise<string> {
  const channel = await connection.createConfirmChannel();
  const closed = new Promise<string>((resolve) => {
    let reason = 'closed without an error';
    channel.on('error', (error: Error) => (reason = error.message));
    channel.on('close', () => resolve(reason));
  });
  const outcome = await action(channel).then(
    () => 'allowed',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  if (outcome === 'allowed') {
    // A refused publish is answered by closing the channel, after the call itself has returned.
    let timer: NodeJS.Timeout | undefined;
    const answer = await Promise.race([closed, new Promise<string>((resolve) => (timer = setTimeout(() => resolve('allowed'), 2_000)))]);
    clearTimeout(timer);
    if (answer === 'allowed') await channel.close();
    return answer;
  }
  return Promise.race([closed, Promise.resolve(outcome)]);
}

describe('the broker users of the bundled RabbitMQ, on a real broker', () => {
  const release = new Release(render(), NAMESPACE);
  const worker = release.app('cloud-worker');
  const env = Object.fromEntries(release.environment(worker.workload, worker.container, (ref: SecretKeyRef) => `unused-${ref.key}`).map((variable) => [variable.name, variable.value]));
  const names: AmqpNames = amqpNames(loadConfig(WorkerConfig, env));
  let apps: ChannelModel;
  let client: ChannelModel;
  let appsChannel: Channel;
  let imported = false;

  beforeAll(async () => {
    const { run, definitions } = brokerDefinitions(release, {
      secretValue: (ref) => {
        throw new Error(`unexpected Secret ${ref.name}`);
      },
      overrides: { APPS_USERNAME: APPS.user, APPS_PASSWORD: APPS.password, CLIENT_USERNAME: CLIENT.user, CLIENT_PASSWORD: CLIENT.password },
    });
    if (!definitions) throw new Error(`the definitions init container failed: ${run.stderr}`);
    // The same definitions, on this test's vhost instead of the release's `/`.
    const ours: BrokerDefinitions = { ...definitions, vhosts: [{ name: VHOST }], permissions: definitions.permissions.map((grant) => ({ ...grant, vhost: VHOST })) };
    // Readable by all: the CLI may run as another user (Debian's wrapper switches to rabbitmq). The passwords are
    // this test's own, for users it deletes.
    const dir = mkdtempSync(join(tmpdir(), 'broker-users-'));
    try {
      chmodSync(dir, 0o755);
      writeFileSync(join(dir, 'definitions.json'), JSON.stringify(ours), { mode: 0o644 });
      rabbitmqctl(['import_definitions', join(dir, 'definitions.json')]);
      imported = true;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The import runs in the background: wait until both users may use the vhost.
    apps = await eventually(() => amqp.connect(brokerUrl(APPS)), 20_000, "the apps' user on the test vhost", 200);
    client = await eventually(() => amqp.connect(brokerUrl(CLIENT)), 20_000, "the client's user on the test vhost", 200);
    appsChannel = await apps.createChannel();
  });

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await apps?.close().catch(() => undefined);
    if (imported) {
      rabbitmqctl(['delete_vhost', VHOST]);
      rabbitmqctl(['delete_user', APPS.user]);
      rabbitmqctl(['delete_user', CLIENT.user]);
    }
  });

  it("lets the apps' user declare the topology and a worker's own control queue, and use them", async () => {
    await assertTopology(appsChannel, names);
    const control = `${names.controlExchange}.worker-1.${suffix}`;
    await appsChannel.assertQueue(control, { exclusive: true, autoDelete: true, durable: false });
    await appsChannel.bindQueue(control, names.controlExchange, '');
    await appsChannel.consume(control, () => undefined, { noAck: true });
    const results = await appsChannel.assertQueue('', { exclusive: true });
    await appsChannel.bindQueue(results.queue, names.resultsExchange, 'job.#');
  });

  it('lets the client declare the work queue as pika does and publish to it through the work exchange and the default exchange', async () => {
    await assertTopology(appsChannel, names);
    await appsChannel.purgeQueue(names.workQueue);
    const channel = await client.createConfirmChannel();
    await expect(channel.assertQueue(names.workQueue, { durable: true })).resolves.toMatchObject({ queue: names.workQueue });
    channel.publish(names.workExchange, names.workQueue, Buffer.from('{"via":"exchange"}'), { persistent: true });
    channel.sendToQueue(names.workQueue, Buffer.from('{"via":"queue"}'), { persistent: true });
    await channel.waitForConfirms();
    await channel.close();
    await eventually(async () => (await appsChannel.checkQueue(names.workQueue)).messageCount === 2, 5_000, 'both requests in the work queue');
    await appsChannel.purgeQueue(names.workQueue);
  });

  it('lets the client declare and consume its own server-named exclusive reply queue, which the apps answer on', async () => {
    const channel = await client.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    expect(queue).toMatch(/^amq\.gen-/);
    const replies: string[] = [];
    await channel.consume(queue, (message) => message && replies.push(`${message.properties.correlationId}: ${message.content.toString()}`), { noAck: true });
    appsChannel.sendToQueue(queue, Buffer.from('{"status":"succeeded"}'), { correlationId: 'request-1' });
    await eventually(() => replies.length > 0, 5_000, 'the reply');
    expect(replies).toEqual(['request-1: {"status":"succeeded"}']);
    await channel.close();
  });

  it.each([
    ['consume the work queue', (channel: ConfirmChannel) => channel.consume(names.workQueue, () => undefined), `queue '${names.workQueue}'`],
    ['consume the dead-letter queue', (channel: ConfirmChannel) => channel.consume(names.deadLetterQueue, () => undefined), `queue '${names.deadLetterQueue}'`],
    ['declare a queue of another name', (channel: ConfirmChannel) => channel.assertQueue('mstc.queue.mine', { durable: true }), "queue 'mstc.queue.mine'"],
    ['declare an exchange', (channel: ConfirmChannel) => channel.assertExchange('mstc.exchange.mine', 'fanout'), "exchange 'mstc.exchange.mine'"],
    ['redeclare the work exchange', (channel: ConfirmChannel) => channel.assertExchange(names.workExchange, 'direct', { durable: true }), `exchange '${names.workExchange}'`],
    [
      'bind its own queue to the work exchange (to take requests)',
      async (channel: ConfirmChannel) => {
        const { queue } = await channel.assertQueue('', { exclusive: true });
        await channel.bindQueue(queue, names.workExchange, names.workQueue);
      },
      "queue 'amq.gen-",
    ],
    [
      'publish to the results exchange',
      async (channel: ConfirmChannel) => {
        channel.publish(names.resultsExchange, 'job.succeeded', Buffer.from('{}'));
        await channel.waitForConfirms();
      },
      `exchange '${names.resultsExchange}'`,
    ],
    [
      'publish to the control exchange',
      async (channel: ConfirmChannel) => {
        channel.publish(names.controlExchange, '', Buffer.from('{}'));
        await channel.waitForConfirms();
      },
      `exchange '${names.controlExchange}'`,
    ],
  ])('refuses the client to %s (ACCESS_REFUSED)', async (_what, action, resource) => {
    await assertTopology(appsChannel, names);
    const answer = await refusal(client, action);
    expect(answer).toMatch(/ACCESS_REFUSED/);
    expect(answer).toContain(`access to ${resource}`);
    expect(answer).toContain(`refused for user '${CLIENT.user}'`);
  });
});
