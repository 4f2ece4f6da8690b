export * from './api.config.js';
export * from './common.config.js';
export * from './kube-access.config.js';
export * from './load-config.js';
export * from './worker.config.js';
export * from './config.module.js';
export * from './load-or-exit.js';
