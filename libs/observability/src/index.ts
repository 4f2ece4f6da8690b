export * from './health.js';
export * from './logger.js';
export * from './metrics.controller.js';
export * from './metrics.module.js';
export * from './logging.module.js';
export * from './shutdown.js';
export * from './package-version.js';
export * from './retry.js';
