import type { Logger } from '@sparkwing/telemetry';
import type { Authenticator } from './auth/authenticate.js';
import type { LogsMetrics } from './metrics.js';
import type { LogStore } from './store/log-store.js';

/** Everything the logs app needs, built once by `createLogsService` (or a test). */
export interface LogsDeps {
  store: LogStore;
  auth: Authenticator;
  metrics: LogsMetrics;
  logger: Logger;
  clock: () => Date;
  /** Interval of SSE keepalive comments. */
  keepaliveMs: number;
  version: string;
}
