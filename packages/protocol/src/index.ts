export * from './status.js';
export * from './errors.js';
export * from './rest/native.js';
export * from './segments.js';
export * from './relay/index.js';
