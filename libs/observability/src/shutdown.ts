import type { INestApplication } from '@nestjs/common';
import type { Logger } from 'pino';

/**
 * On SIGTERM or SIGINT: stop taking requests, let those in progress finish, close the connections, exit.
 * A shutdown that overruns its time is cut short, so a stuck connection cannot keep a pod from stopping.
 */
export function exitOnSignal(app: INestApplication, timeoutSeconds: number, logger: Logger): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error({ timeoutSeconds }, 'shutdown took too long; exiting');
      process.exit(1);
    }, timeoutSeconds * 1000).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
