import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { claimResponseSchema, leaseSchema, nodeSchema, runDetailSchema } from '@sparkwing/contracts';
import { createLogger, type Logger } from '@sparkwing/telemetry';
import { parse as parseYaml } from 'yaml';
import { agentFileSchema, ConfigProblem, type ResolvedConfig } from './config.js';
import { executeClaim } from './execute-node.js';
import { createRunnerMetrics } from './metrics.js';
import { createMetricsApp, serveMetrics } from './metrics-server.js';
import { startPool } from './pool.js';
import { controllerClient, httpShipperFactory } from './services.js';

export const RUNNER_VERSION = '0.1.0';

/** `runner` and `agent`: the warm-pool loop until SIGTERM/SIGINT, then drain and exit 0. */
export async function runPool(config: ResolvedConfig, logger: Logger): Promise<number> {
  if (!config.token) throw new ConfigProblem('SPARKWING_RUNNER_TOKEN (or --token) is required to claim work');
  const controller = controllerClient({ controllerUrl: config.controllerUrl, token: config.token });
  const metrics = createRunnerMetrics();
  let draining = false;
  const pool = startPool({
    controller,
    runnerId: config.runnerId,
    labels: config.labels,
    maxConcurrent: config.maxConcurrent,
    version: RUNNER_VERSION,
    metrics,
    logger,
    executor: {
      shipper: httpShipperFactory(config.logsUrl),
      home: config.home,
      cacheUrl: config.cacheUrl,
      logger,
    },
  });
  const server = await serveMetrics(
    createMetricsApp(metrics, () => ({ draining, inFlight: pool.inFlight })),
    config.metricsPort,
  );
  logger.info('runner started', {
    runner_id: config.runnerId,
    labels: config.labels,
    max_concurrent: config.maxConcurrent,
    metrics_port: server.port,
  });
  const stop = (signal: string) => {
    if (draining) return;
    draining = true;
    logger.info('draining: no new claims, waiting for in-flight nodes', { signal, in_flight: pool.inFlight });
    void pool.drain();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await pool.done;
  await server.close();
  logger.info('runner stopped');
  return 0;
}

/** Expiry of a node token (unix ms) from its payload; the signature is the controller's business. */
function tokenExpiry(token: string): number {
  try {
    const payload = token.slice(token.indexOf('.') + 1, token.lastIndexOf('.'));
    return Number(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')).exp) || Date.now() + 60_000;
  } catch {
    return Date.now() + 60_000;
  }
}

/** `worker`: executes the one node already claimed for this process; the exit code is the node's status. */
export async function runWorker(
  config: ResolvedConfig,
  env: { runId?: string; nodeId?: string; token?: string },
  logger: Logger,
) {
  if (!env.runId || !env.nodeId || !env.token) {
    throw new ConfigProblem('worker needs SPARKWING_RUN_ID, SPARKWING_NODE_ID and SPARKWING_AGENT_TOKEN');
  }
  // The node token is all a worker needs: it reads its own run and reports under its lease.
  const controller = controllerClient({ controllerUrl: config.controllerUrl, token: env.token });
  const detail = await controller.http.call('GET', `/api/v1/runs/${encodeURIComponent(env.runId)}`, {
    schema: runDetailSchema,
  });
  const node = nodeSchema.parse(
    detail.nodes.find((candidate: { id: string }) => candidate.id === env.nodeId),
  );
  const claim = claimResponseSchema.parse({
    run: detail.run,
    node,
    lease: leaseSchema.parse({
      token: env.token,
      expires_at: new Date(tokenExpiry(env.token)).toISOString(),
    }),
  });
  const execution = await executeClaim(claim, {
    controller,
    shipper: httpShipperFactory(config.logsUrl),
    home: config.home,
    runnerId: config.runnerId,
    cacheUrl: config.cacheUrl,
    logger,
  });
  logger.info('node finished', {
    outcome: execution.outcome,
    failure_reason: execution.failure_reason,
    exit_code: execution.exit_code,
  });
  if (execution.outcome === 'success') return 0;
  return execution.exit_code && execution.exit_code > 0 ? Math.min(execution.exit_code, 255) : 1;
}

/** Reads `~/.config/sparkwing/agent.yaml` (or --config), validated strictly. */
export function readAgentFile(path: string | undefined, home: string | undefined) {
  const file = path ?? join(home ?? homedir(), '.config', 'sparkwing', 'agent.yaml');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    if (path) throw new ConfigProblem(`cannot read ${file}`);
    return {};
  }
  const parsed = agentFileSchema.safeParse(parseYaml(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigProblem(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

export function runnerLogger(level: ResolvedConfig['logLevel']): Logger {
  return createLogger({ service: 'runner', level });
}
