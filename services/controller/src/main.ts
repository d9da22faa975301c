import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createLogger, guardedCreateServer, startTelemetry } from '@sparkwing/telemetry';
import { githubCredentials, parseConfig } from './config.js';
import { createController } from './controller.js';
import type { Dispatcher } from './dispatch/types.js';
import { createControllerMetrics } from './metrics.js';
import { CONTROLLER_VERSION } from './version.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  let github: ReturnType<typeof githubCredentials>;
  try {
    github = githubCredentials(config);
  } catch (error) {
    process.stderr.write(`invalid controller configuration: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const logger = createLogger({ service: 'controller', level: config.LOG_LEVEL });
  const telemetry = await startTelemetry({
    serviceName: 'sparkwing-controller',
    otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    version: CONTROLLER_VERSION,
  });
  const controller = createController({
    dataDir: config.SPARKWING_DATA_DIR,
    signingKey: config.SPARKWING_SIGNING_KEY,
    secretKey: config.SPARKWING_SECRET_KEY,
    adminToken: config.SPARKWING_ADMIN_TOKEN,
    runnerToken: config.SPARKWING_RUNNER_TOKEN,
    webhookSecret: config.GITHUB_WEBHOOK_SECRET,
    forkSecretPipelines: config.SPARKWING_FORK_SECRETS_PIPELINES,
    settings: {
      leaseMs: config.SPARKWING_LEASE_DURATION,
      queueTimeoutMs: config.SPARKWING_QUEUE_TIMEOUT,
      runnerHeartbeatTimeoutMs: config.SPARKWING_RUNNER_HEARTBEAT_TIMEOUT,
      runnerStartupGraceMs: config.SPARKWING_RUNNER_STARTUP_GRACE,
    },
    sweepIntervalMs: config.SPARKWING_SWEEP_INTERVAL,
    metrics: createControllerMetrics({ defaultMetrics: true }),
    logger,
    cacheUrl: config.SPARKWING_CACHE_URL,
    logsUrl: config.SPARKWING_LOGS_URL,
    github: github
      ? { credentials: github, apiUrl: config.GITHUB_API_URL, publicUrl: config.SPARKWING_PUBLIC_URL }
      : undefined,
  });
  let dispatcher: Dispatcher | undefined;
  if (config.SPARKWING_DISPATCHER === 'kubernetes') {
    // Loaded only when configured: the Kubernetes client is the slowest import of the controller.
    const { KubernetesDispatcher, toKubernetesDispatchConfig } = await import(
      './dispatch/kubernetes/index.js'
    );
    try {
      dispatcher = new KubernetesDispatcher({
        queue: controller.queue,
        registry: controller.metrics.registry,
        logger,
        signingKey: controller.signingKey,
        config: toKubernetesDispatchConfig(config),
      });
    } catch (error) {
      process.stderr.write(`cannot start the Kubernetes dispatcher: ${(error as Error).message}\n`);
      process.exit(1);
    }
    dispatcher.start();
  }
  controller.sweeper.start();
  controller.schedules.start(config.SPARKWING_SCHEDULE_INTERVAL);
  controller.statuses?.start(1_000);
  const server = serve(
    {
      fetch: controller.app.fetch,
      port: config.PORT,
      hostname: '0.0.0.0',
      createServer: guardedCreateServer,
    },
    (info: AddressInfo) => {
      logger.info('listening', {
        port: info.port,
        data_dir: config.SPARKWING_DATA_DIR,
        version: CONTROLLER_VERSION,
      });
    },
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    controller.queue.releaseWaiters();
    void dispatcher?.stop();
    server.close(() => {
      controller.close();
      void telemetry.shutdown().finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
