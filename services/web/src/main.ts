import { serve } from '@hono/node-server';
import { createLogger, guardedCreateServer, startTelemetry } from '@sparkwing/telemetry';
import { createApp } from './app.js';
import { parseConfig, type WebConfig } from './config.js';
import { buildDeps } from './deps.js';
import { createWebMetrics } from './metrics.js';

let config: WebConfig;
try {
  config = parseConfig(process.env);
} catch (error) {
  process.stderr.write(`sparkwing-web: ${(error as Error).message}\n`);
  process.exit(1);
}

const logger = createLogger({ service: 'web', level: config.LOG_LEVEL });
const telemetry = await startTelemetry({
  serviceName: 'sparkwing-web',
  // Only what config parsed: nothing but main.ts reads the environment.
  env: {
    OTEL_EXPORTER_OTLP_ENDPOINT: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: config.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
    OTEL_SERVICE_NAME: config.OTEL_SERVICE_NAME,
  },
});
const deps = buildDeps({
  mode: 'cluster',
  controllerUrl: config.SPARKWING_CONTROLLER_URL,
  logsUrl: config.SPARKWING_LOGS_URL,
  staticDir: config.SPARKWING_WEB_STATIC_DIR,
  sessionSecret: config.SPARKWING_SESSION_SECRET,
  sessionTtlMs: config.SPARKWING_WEB_SESSION_TTL,
  serviceToken: config.SPARKWING_WEB_TOKEN,
  secureCookie: config.SPARKWING_WEB_SECURE_COOKIE === 'true',
  metrics: createWebMetrics({ defaultMetrics: true }),
  logger,
});
const app = createApp(deps);

const server = serve(
  { fetch: app.fetch, port: config.PORT, hostname: config.HOST, createServer: guardedCreateServer },
  (info) => {
    logger.info('listening', { port: info.port, host: config.HOST });
  },
);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info('shutting down', { signal });
  server.close(() => {
    void telemetry.shutdown().finally(() => process.exit(0));
  });
  // Open event streams would hold close() forever; cut them after a grace period.
  setTimeout(() => process.exit(0), 3_000).unref();
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
