// Test helpers for services' and e2e suites: import from `@sparkwing/telemetry/testing`, never from runtime code.
export * from './testing/otlp-receiver.js';
