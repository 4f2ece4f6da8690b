// `npm run broker`: which RabbitMQ `npm run dev` and `npm test` would use on this machine, tried for real: the
// broker is resolved (a private node or a container started if need be), a queue is declared and deleted on it,
// and whatever was started is stopped again. Prints one JSON line; exits 2, with the reason, when there is none.
// With `--hold`, the broker stays until Ctrl-C (or SIGTERM), for running the apps against it by hand.
import amqp from 'amqplib';
import { resolve } from 'node:path';
import { NoBrokerError, resolveBroker } from './broker.js';

const stateDir = resolve(import.meta.dirname, '../../.local/rabbitmq');
try {
  const broker = await resolveBroker({ stateDir });
  try {
    const connection = await amqp.connect(broker.url);
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.deleteQueue(queue);
    await connection.close();
    console.log(JSON.stringify({ source: broker.source, description: broker.description }));
    if (process.argv.includes('--hold')) await new Promise((stop) => ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, stop)));
  } finally {
    await broker.stop();
  }
} catch (error) {
  if (!(error instanceof NoBrokerError)) throw error;
  console.error(error.message);
  process.exitCode = 2;
}
