import { serve } from '@hono/node-server';
import { describeZodError } from '@sparkwing/contracts';
import { createLogger, guardedCreateServer, startTelemetry } from '@sparkwing/telemetry';
import { configSchema } from './config.js';
import { createCacheMetrics } from './metrics.js';
import { serviceOptionsFromConfig } from './options.js';
import { createCacheService } from './service.js';

async function main(): Promise<void> {
  const parsed = configSchema.safeParse(process.env);
  if (!parsed.success) {
    process.stderr.write(`sparkwing-cache: bad configuration: ${describeZodError(parsed.error)}\n`);
    process.exit(1);
  }
  const config = parsed.data;
  const logger = createLogger({ service: 'cache', level: config.LOG_LEVEL });
  const telemetry = await startTelemetry({
    serviceName: 'sparkwing-cache',
    otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  const service = createCacheService({
    ...serviceOptionsFromConfig(config),
    logger,
    metrics: createCacheMetrics({ defaultMetrics: true }),
  });
  await service.mirrors.load();
  // The listening line is printed whatever LOG_LEVEL says: with PORT=0 it is how callers learn the port.
  const announce = createLogger({ service: 'cache', level: 'info' });
  const server = serve(
    {
      fetch: service.app.fetch,
      port: config.PORT,
      hostname: config.HOST,
      createServer: guardedCreateServer,
    },
    (info) => {
      announce.info('listening', { port: info.port });
    },
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    server.close();
    Promise.allSettled([service.close(), telemetry.shutdown()]).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: Error) => {
  process.stderr.write(`sparkwing-cache: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
