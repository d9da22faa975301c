import { parseArgs } from 'node:util';
import {
  type AgentFile,
  ConfigProblem,
  resolveConfig,
  runnerEnvSchema,
  runnerFlagsSchema,
} from './config.js';
import { startTelemetry } from '@sparkwing/telemetry';
import { RUNNER_VERSION, readAgentFile, runnerLogger, runPool, runWorker } from './commands.js';

const USAGE = `usage: sparkwing-runner <runner|worker|agent> [flags]
  runner   warm pool: --label L (repeatable) --max-concurrent N --metrics-port 9090
  worker   execute the node in SPARKWING_RUN_ID / SPARKWING_NODE_ID with SPARKWING_AGENT_TOKEN
  agent    join a remote controller; settings from flags or ~/.config/sparkwing/agent.yaml (--config)`;

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || !['runner', 'worker', 'agent'].includes(command)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const env = runnerEnvSchema.safeParse(process.env);
  if (!env.success) {
    const issue = env.error.issues[0]!;
    process.stderr.write(`sparkwing-runner: invalid ${issue.path.join('.')}: ${issue.message}\n`);
    return 1;
  }
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        label: { type: 'string', multiple: true },
        'max-concurrent': { type: 'string' },
        'metrics-port': { type: 'string' },
        'runner-id': { type: 'string' },
        'controller-url': { type: 'string' },
        'logs-url': { type: 'string' },
        'cache-url': { type: 'string' },
        token: { type: 'string' },
        config: { type: 'string' },
        home: { type: 'string' },
      },
    }));
  } catch (error) {
    process.stderr.write(`sparkwing-runner: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const flags = runnerFlagsSchema.safeParse(values);
  if (!flags.success) {
    const issue = flags.error.issues[0]!;
    process.stderr.write(`sparkwing-runner: --${issue.path.join('.')}: ${issue.message}\n`);
    return 2;
  }
  const file: Partial<AgentFile> = command === 'agent' ? readAgentFile(flags.data.config, env.data.HOME) : {};
  const config = resolveConfig(env.data, flags.data, file);
  const logger = runnerLogger(config.logLevel);
  const telemetry = await startTelemetry({
    serviceName: 'sparkwing-runner',
    otlpEndpoint: env.data.OTEL_EXPORTER_OTLP_ENDPOINT,
    version: RUNNER_VERSION,
  });
  try {
    if (command === 'worker') {
      return await runWorker(
        config,
        {
          runId: env.data.SPARKWING_RUN_ID,
          nodeId: env.data.SPARKWING_NODE_ID,
          token: env.data.SPARKWING_AGENT_TOKEN,
        },
        logger,
      );
    }
    return await runPool(config, logger);
  } finally {
    await telemetry.shutdown().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(
      `sparkwing-runner: ${error instanceof ConfigProblem ? error.message : (error.stack ?? error.message)}\n`,
    );
    process.exit(1);
  },
);
