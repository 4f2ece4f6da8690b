// Jest's global setup: the end-to-end specs need RabbitMQ. The broker is resolved as `npm run dev` does
// (tools/local-stack/broker.ts), once for the whole run, and handed to every spec file through AMQP_URL; each
// file keeps to names or a vhost of its own, so one broker serves them all. Jest loads this file with Node's own
// loader, without its transform, hence JavaScript that loads the TypeScript through tsx.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { NoBrokerError, resolveBroker } = await tsImport('../tools/local-stack/broker.ts', import.meta.url);
  try {
    const broker = await resolveBroker({ stateDir: new URL('../.local/rabbitmq', import.meta.url).pathname });
    process.env.AMQP_URL = broker.url;
    // Read back by the global teardown, which Jest runs in this same process.
    globalThis.cloudWorkerTestBroker = broker;
    console.log(`\n${broker.description}`);
  } catch (error) {
    if (error instanceof NoBrokerError) error.message = `The end-to-end tests need RabbitMQ.\n${error.message}`;
    throw error;
  }
}
