import 'reflect-metadata';
import { ApiConfig, exitOnInvalidConfiguration, loadConfigOrExit } from '@app/config';
import { createRootLogger, exitOnSignal, NestPinoLogger, packageVersion } from '@app/observability';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ApiModule } from './api.module.js';
import { loadStaticTokens, StaticTokens } from './auth/static-tokens.js';
import { serveDashboard } from './dashboard.js';
import { serveOpenApi } from './openapi.js';

const config = loadConfigOrExit(ApiConfig);
const staticTokens = new StaticTokens(exitOnInvalidConfiguration(() => loadStaticTokens(config)));
const logger = await createRootLogger({ app: 'api', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
if (staticTokens.size === 0 && !config.OIDC_ISSUER) logger.warn('no API tokens (AUTH_TOKENS, AUTH_TOKENS_FILE) and no OIDC_ISSUER: every request but /health/* is refused');
const app = await NestFactory.create<NestExpressApplication>(ApiModule.register(config, logger, staticTokens), {
  logger: new NestPinoLogger(logger),
  // ApiModule parses bodies itself (body-parser.ts).
  bodyParser: false,
});
app.disable('x-powered-by');
serveOpenApi(app, packageVersion());
serveDashboard(app, logger);
exitOnSignal(app, config.SHUTDOWN_TIMEOUT_SECONDS, logger);
await app.listen(config.PORT);
logger.info({ url: await app.getUrl() }, 'api listening');
