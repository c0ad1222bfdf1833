export * from './status.js';
export * from './errors.js';
export * from './rest/native.js';
export * from './segments.js';
export * from './rest/console.js';
export * from './rest/compat.js';
export * from './rest/number-groups.js';
export * from './relay/index.js';
