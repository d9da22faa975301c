import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const url = z.string().url();

/** Environment of `sparkwing-runner`, parsed once in main.ts. */
export const runnerEnvSchema = z.object({
  /** Controller base URL (claims, heartbeats, finish). */
  SPARKWING_CONTROLLER_URL: url.optional(),
  /** Logs service base URL (node output). */
  SPARKWING_LOGS_URL: url.optional(),
  /** Cache service base URL: code tarballs, git archives, shared compiled pipelines. */
  SPARKWING_CACHE_URL: url.optional(),
  /** Long-lived runner token (scope nodes.claim) for `runner` and `agent`. */
  SPARKWING_RUNNER_TOKEN: z.string().min(1).optional(),
  /** `worker`: the run and node already claimed for this process, and the lease's node token. */
  SPARKWING_RUN_ID: z.string().min(1).optional(),
  SPARKWING_NODE_ID: z.string().min(1).optional(),
  SPARKWING_AGENT_TOKEN: z.string().min(1).optional(),
  /** State root: compiled-pipeline cache, temporary checkouts. */
  SPARKWING_HOME: z.string().min(1).optional(),
  /** Stable runner id; defaults to the host name plus pid. */
  SPARKWING_RUNNER_ID: z.string().min(1).max(200).optional(),
  /** Comma-separated labels (the --label flags add to them). */
  SPARKWING_RUNNER_LABELS: z.string().optional(),
  /** OTLP/HTTP endpoint for traces and logs; nothing is exported when unset. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  /** debug | info | warn | error */
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  HOME: z.string().optional(),
});
export type RunnerEnv = z.infer<typeof runnerEnvSchema>;

export const runnerFlagsSchema = z.object({
  label: z.array(z.string().min(1)).default([]),
  'max-concurrent': z.coerce.number().int().min(1).max(256).default(1),
  'metrics-port': z.coerce.number().int().min(0).max(65_535).default(9090),
  'runner-id': z.string().min(1).max(200).optional(),
  'controller-url': url.optional(),
  'logs-url': url.optional(),
  'cache-url': url.optional(),
  token: z.string().min(1).optional(),
  config: z.string().optional(),
  home: z.string().optional(),
});
export type RunnerFlags = z.infer<typeof runnerFlagsSchema>;

export interface ResolvedConfig {
  controllerUrl: string;
  logsUrl: string;
  cacheUrl: string | undefined;
  token: string | undefined;
  home: string;
  runnerId: string;
  labels: string[];
  maxConcurrent: number;
  metricsPort: number;
  logLevel: RunnerEnv['LOG_LEVEL'];
}

export class ConfigProblem extends Error {}

/** Flags win over the agent file, which wins over the environment. */
export function resolveConfig(
  env: RunnerEnv,
  flags: RunnerFlags,
  file: Partial<AgentFile> = {},
): ResolvedConfig {
  const controllerUrl = flags['controller-url'] ?? file.controller_url ?? env.SPARKWING_CONTROLLER_URL;
  const logsUrl = flags['logs-url'] ?? file.logs_url ?? env.SPARKWING_LOGS_URL;
  if (!controllerUrl) throw new ConfigProblem('SPARKWING_CONTROLLER_URL (or --controller-url) is required');
  if (!logsUrl) throw new ConfigProblem('SPARKWING_LOGS_URL (or --logs-url) is required');
  const envLabels = (env.SPARKWING_RUNNER_LABELS ?? '')
    .split(',')
    .map((l) => l.trim())
    .filter(Boolean);
  return {
    controllerUrl,
    logsUrl,
    cacheUrl: flags['cache-url'] ?? file.cache_url ?? env.SPARKWING_CACHE_URL,
    token: flags.token ?? file.token ?? env.SPARKWING_RUNNER_TOKEN,
    home: flags.home ?? env.SPARKWING_HOME ?? join(env.HOME ?? homedir(), '.sparkwing'),
    runnerId:
      flags['runner-id'] ?? file.runner_id ?? env.SPARKWING_RUNNER_ID ?? `${hostname()}-${process.pid}`,
    labels: [...new Set([...envLabels, ...(file.labels ?? []), ...flags.label])],
    maxConcurrent:
      file.concurrency && flags['max-concurrent'] === 1 ? file.concurrency : flags['max-concurrent'],
    metricsPort: flags['metrics-port'],
    logLevel: env.LOG_LEVEL,
  };
}

/** `~/.config/sparkwing/agent.yaml` of `sparkwing-runner agent`. */
export const agentFileSchema = z.strictObject({
  controller_url: url,
  logs_url: url.optional(),
  cache_url: url.optional(),
  token: z.string().min(1),
  labels: z.array(z.string().min(1)).optional(),
  concurrency: z.number().int().min(1).max(256).optional(),
  runner_id: z.string().min(1).max(200).optional(),
});
export type AgentFile = z.infer<typeof agentFileSchema>;
