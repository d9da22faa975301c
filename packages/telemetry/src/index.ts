export * from './registry.js';
export * from './logger.js';
export * from './http.js';
export * from './otel.js';
export * from './cicd.js';
export * from './run-path.js';
export * from './fetch-spans.js';
