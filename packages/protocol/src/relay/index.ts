export * from './jsonrpc.js';
export * from './methods.js';
export * from './events.js';
