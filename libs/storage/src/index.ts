export * from './job-logs.js';
export * from './job-record.store.js';
export * from './object-storage.js';
export * from './record-index.js';
export * from './storage.module.js';
export * from './storage-health.indicator.js';
