import type { Logger, RequestIdVariables } from '@sparkwing/telemetry';
import type { AuthContext } from './auth/middleware.js';
import type { TokenStore } from './auth/token-store.js';
import type { Clock } from './clock.js';
import type { Db } from './db/open.js';
import type { ControllerMetrics } from './metrics.js';
import type { QueueService } from './queue/service.js';
import type { ForkSecretPolicy } from './secret-policy.js';
import type { SecretStore } from './secret-store.js';
import type { RepoSource } from './triggers/repo-source.js';

/** Everything the HTTP app needs, built once (createController) and passed to createApp. */
export interface ControllerDeps {
  db: Db;
  queue: QueueService;
  tokens: TokenStore;
  secrets: SecretStore;
  metrics: ControllerMetrics;
  logger: Logger;
  clock: Clock;
  /** Node-token HMAC key. */
  signingKey: string;
  /** GitHub webhook secret; webhooks answer 503 without it. */
  webhookSecret?: string;
  /** Which pipelines' fork pull request runs may read secrets (none by default). */
  forkSecrets: ForkSecretPolicy;
  /** Reads sparkwing.yaml and changed files through the cache's mirrors. */
  repoSource: RepoSource;
  /** Queue GitHub commit statuses for triggered runs (a GitHub token or App is configured). */
  reportStatuses: boolean;
  /** Accept `local_path` on triggers (local mode only). */
  allowLocalPath: boolean;
  /** Local mode: the person at the keyboard, recorded as the actor of `local_path` triggers. */
  localActor?: string;
  version: string;
  cacheUrl?: string;
  logsUrl?: string;
}

export type AppEnv = { Variables: RequestIdVariables & { auth: AuthContext } };
