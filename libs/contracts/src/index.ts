export * from './bucket-name.js';
export * from './image-reference.js';
export * from './job-naming.js';
export * from './job-record.js';
export * from './names.js';
export * from './reply.js';
export * from './work-request.dto.js';
export * from './work-request.js';
