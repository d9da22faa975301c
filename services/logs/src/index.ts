export { createApp, type LogsApp } from './app.js';
export { authorize } from './auth/authorize.js';
export { introspectWithController } from './auth/controller-introspect.js';
export { configSchema, type LogsConfig } from './config.js';
export type { LogsDeps } from './deps.js';
export { createLogsMetrics, type LogsMetrics, REJECT_REASONS } from './metrics.js';
export { createLogsService, type LogsService, type LogsServiceOptions } from './service.js';
export { LogStore, type LogStoreOptions } from './store/log-store.js';
