import type { BearerAuthenticator, Logger } from '@sparkwing/telemetry';
import type { LogsMetrics } from './metrics.js';
import type { LogStore } from './store/log-store.js';

/** Everything the logs app needs, built once by `createLogsService` (or a test). */
export interface LogsDeps {
  store: LogStore;
  auth: BearerAuthenticator;
  metrics: LogsMetrics;
  logger: Logger;
  clock: () => Date;
  /** Interval of SSE keepalive comments. */
  keepaliveMs: number;
  version: string;
}
