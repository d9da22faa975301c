import { BearerAuthenticator, type Introspect, silentLogger, type Logger } from '@sparkwing/telemetry';
import { createApp, type LogsApp } from './app.js';
import type { LogsDeps } from './deps.js';
import { createLogsMetrics, type LogsMetrics } from './metrics.js';
import { LogStore } from './store/log-store.js';

export interface LogsServiceOptions {
  /** Root of the log files (`<dataDir>/runs/<runID>/<nodeID>.log`). */
  dataDir: string;
  /** Verifies node tokens offline (the controller's SPARKWING_SIGNING_KEY). */
  signingKey: string;
  /** Verifies every other bearer; null accepts node tokens only. */
  introspect: Introspect | null;
  logger?: Logger;
  /** Injected time source (tests); a Date or unix milliseconds. */
  clock?: () => Date | number;
  metrics?: LogsMetrics;
  keepaliveMs?: number;
  /** Stat fallback period for following files another process appends to. */
  pollIntervalMs?: number;
  /** Work one search request may do before returning a cursor (default 16 MiB, 2,000 files). */
  searchBudget?: { maxBytes: number; maxFiles: number };
  version?: string;
}

export interface LogsService {
  app: LogsApp;
  store: LogStore;
  metrics: LogsMetrics;
  /** Flushes queued appends, closes files, ends open streams. */
  close(): Promise<void>;
}

/** Builds the store, auth and app: what `main.ts` serves and what local mode mounts in-process. */
export function createLogsService(options: LogsServiceOptions): LogsService {
  const logger = options.logger ?? silentLogger;
  const source = options.clock ?? (() => new Date());
  const clock = () => {
    const now = source();
    return now instanceof Date ? now : new Date(now);
  };
  const metrics = options.metrics ?? createLogsMetrics();
  const store = new LogStore({
    dataDir: options.dataDir,
    metrics,
    logger,
    pollIntervalMs: options.pollIntervalMs,
    searchBudget: options.searchBudget,
  });
  const auth = new BearerAuthenticator({
    signingKey: options.signingKey,
    introspect: options.introspect,
    clock: () => clock().getTime(),
  });
  const deps: LogsDeps = {
    store,
    auth,
    metrics,
    logger,
    clock,
    keepaliveMs: options.keepaliveMs ?? 15_000,
    version: options.version ?? '0.1.0',
  };
  return { app: createApp(deps), store, metrics, close: () => store.close() };
}
