import { durationSetting as duration } from '@sparkwing/contracts';
import { z } from 'zod';
import { listSetting } from './settings.js';
import { kubernetesEnvShape } from './dispatch/kubernetes/config.js';
import type { GithubCredentials } from './triggers/github-auth.js';

/** Every environment variable the controller reads; parsed once in main.ts. */
export const configSchema = z.object({
  // HTTP port; 0 picks a free port and the startup log line names it.
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  // Directory holding state.db and generated keys (admin-token, signing-key, secret-key).
  SPARKWING_DATA_DIR: z.string().min(1).default('/data'),
  // Seed admin token stored (hashed) at start; without one a token is generated into the data dir.
  SPARKWING_ADMIN_TOKEN: z.string().min(16).optional(),
  // Seed runner token (scope nodes.claim only) the warm pool and dispatched workers share; stored hashed.
  SPARKWING_RUNNER_TOKEN: z.string().min(16).optional(),
  // HMAC key for node tokens (shared with logs and cache); generated into the data dir if unset.
  SPARKWING_SIGNING_KEY: z.string().min(16).optional(),
  // Key that encrypts stored secrets (any string, hashed to 256 bits); generated into the data dir if unset.
  SPARKWING_SECRET_KEY: z.string().min(16).optional(),
  // Shared secret of GitHub webhooks; webhooks answer 503 while it is unset.
  GITHUB_WEBHOOK_SECRET: z.string().min(1).optional(),
  // Comma-separated pipelines whose runs from fork pull requests may read secrets (pull_request_target).
  SPARKWING_FORK_SECRETS_PIPELINES: listSetting(),
  // How often `schedule:` entries are checked (each check reads the default branch's sparkwing.yaml).
  SPARKWING_SCHEDULE_INTERVAL: duration('30s'),
  // GitHub commit statuses: a token with `repo:status` (or fine-grained "Commit statuses: write")...
  GITHUB_TOKEN: z.string().min(1).optional(),
  // ...or a GitHub App: its id, PEM private key and the installation id (all three together).
  GITHUB_APP_ID: z.string().min(1).optional(),
  GITHUB_APP_PRIVATE_KEY: z.string().min(1).optional(),
  GITHUB_APP_INSTALLATION_ID: z.string().min(1).optional(),
  // GitHub API base URL (GitHub Enterprise: https://<host>/api/v3).
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  // Dashboard URL commit statuses link to (`<url>/runs/<id>`); statuses carry no link while unset.
  SPARKWING_PUBLIC_URL: z.url().optional(),
  // A ready node nobody claims for this long fails `queue_timeout`.
  SPARKWING_QUEUE_TIMEOUT: duration('15m'),
  // A runner silent for this long is lost; its nodes fail `agent_lost`.
  SPARKWING_RUNNER_HEARTBEAT_TIMEOUT: duration('5m'),
  // How long a claim holder that never heartbeated gets before its lapsed lease counts as `agent_lost`.
  SPARKWING_RUNNER_STARTUP_GRACE: duration('2m'),
  // Lifetime of a claim lease (and its node token); node heartbeats renew it.
  SPARKWING_LEASE_DURATION: duration('60s'),
  // How often the sweeps (leases, lost runners, queue timeouts) and gauges run.
  SPARKWING_SWEEP_INTERVAL: duration('5s'),
  // Cache base URL reported by /api/v1/health (the CLI discovers the cache there).
  SPARKWING_CACHE_URL: z.url().optional(),
  // Logs base URL reported by /api/v1/health.
  SPARKWING_LOGS_URL: z.url().optional(),
  // Which dispatcher starts runners for ready nodes: none (runners claim themselves) or kubernetes.
  SPARKWING_DISPATCHER: z.enum(['none', 'kubernetes']).default('none'),
  // OTLP/HTTP endpoint for traces and logs; nothing is exported when unset.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  // Log level of the JSON log lines.
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  // The Kubernetes dispatcher's variables (POD_NAMESPACE, KUBECONFIG, SPARKWING_RUNNER_*), see docs/kubernetes.md.
  ...kubernetesEnvShape,
});
export type ControllerConfig = z.infer<typeof configSchema>;

/** GitHub credentials from the config: a token, or all three App variables; null when none are set. */
export function githubCredentials(config: ControllerConfig): GithubCredentials | null {
  if (config.GITHUB_TOKEN) return { kind: 'token', token: config.GITHUB_TOKEN };
  const app = [config.GITHUB_APP_ID, config.GITHUB_APP_PRIVATE_KEY, config.GITHUB_APP_INSTALLATION_ID];
  if (app.every((v) => v === undefined)) return null;
  if (app.some((v) => v === undefined))
    throw new Error('GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID go together');
  return {
    kind: 'app',
    appId: config.GITHUB_APP_ID!,
    // Secrets often carry the PEM with literal \n (one-line env values).
    privateKey: config.GITHUB_APP_PRIVATE_KEY!.replace(/\\n/g, '\n'),
    installationId: config.GITHUB_APP_INSTALLATION_ID!,
  };
}

/** Parses the environment; throws one readable message listing every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): ControllerConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid controller configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
