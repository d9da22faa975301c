export * from './http.js';
export * from './controller.js';
export * from './logs-client.js';
export * from './log-shipper.js';
export * from './cache-client.js';
