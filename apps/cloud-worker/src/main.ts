import 'reflect-metadata';
import { loadConfigOrExit, WorkerConfig } from '@app/config';
import { createRootLogger, exitOnSignal, NestPinoLogger } from '@app/observability';
import { NestFactory } from '@nestjs/core';
import type { ServerRMQ } from '@nestjs/microservices';
import { CONTROL_SERVER, WORK_SERVER } from './intake/rmq-servers.js';
import { Resync } from './lifecycle/resync.service.js';
import { WorkerModule } from './worker.module.js';

const config = loadConfigOrExit(WorkerConfig);
const logger = await createRootLogger({ app: 'cloud-worker', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
const app = await NestFactory.create(WorkerModule.register(config, logger), { logger: new NestPinoLogger(logger) });
exitOnSignal(app, config.SHUTDOWN_TIMEOUT_SECONDS, logger);
// Health and metrics first, so probes answer (not ready) while the worker finds its feet.
await app.listen(config.PORT);
// Follow the pods and take over the Jobs left by earlier workers before taking new work.
await app.get(Resync).start();
app.connectMicroservice({ strategy: app.get<ServerRMQ>(WORK_SERVER) });
app.connectMicroservice({ strategy: app.get<ServerRMQ>(CONTROL_SERVER) });
await app.startAllMicroservices();
logger.info({ url: await app.getUrl(), queue: config.WORK_QUEUE, concurrency: config.CONCURRENCY, worker: config.WORKER_ID }, 'cloud-worker consuming');
