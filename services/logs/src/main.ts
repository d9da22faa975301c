import { serve } from '@hono/node-server';
import { ControllerClient } from '@sparkwing/client';
import { describeZodError } from '@sparkwing/contracts';
import { createLogger, guardedCreateServer, startTelemetry } from '@sparkwing/telemetry';
import { introspectWithController } from './auth/controller-introspect.js';
import { configSchema } from './config.js';
import { createLogsMetrics } from './metrics.js';
import { createLogsService } from './service.js';

const parsed = configSchema.safeParse(process.env);
if (!parsed.success) {
  process.stderr.write(`sparkwing-logs: bad configuration: ${describeZodError(parsed.error)}\n`);
  process.exit(1);
}
const config = parsed.data;
const telemetry = await startTelemetry({
  serviceName: 'sparkwing-logs',
  otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
});
const logger = createLogger({ service: 'logs', level: config.LOG_LEVEL });
const controllerUrl = config.SPARKWING_CONTROLLER_URL;
const service = createLogsService({
  dataDir: config.SPARKWING_DATA_DIR,
  signingKey: config.SPARKWING_SIGNING_KEY,
  introspect: controllerUrl
    ? introspectWithController(new ControllerClient({ baseUrl: controllerUrl, userAgent: 'sparkwing-logs' }))
    : null,
  logger,
  metrics: createLogsMetrics({ defaultMetrics: true }),
});

const server = serve(
  {
    fetch: service.app.fetch,
    port: config.PORT,
    hostname: config.HOST,
    createServer: guardedCreateServer,
  },
  (info) => {
    logger.info('listening', { port: info.port, data_dir: config.SPARKWING_DATA_DIR });
  },
);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info('shutting down', { signal });
  // Ending the streams first lets the server's close() finish; queued appends are flushed before exit.
  await service.close();
  server.close();
  await telemetry.shutdown();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
