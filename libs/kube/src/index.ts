export * from './job-verdict.js';
export * from './job-manifest.js';
export * from './kube-api.js';
export * from './labels.js';
export * from './pod-informer.js';
export * from './permissions.js';
