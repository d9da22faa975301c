import { join } from 'node:path';
import { type Logger, silentLogger } from '@sparkwing/telemetry';
import { ensureAdminToken, ensureCacheToken, ensureRunnerToken } from './auth/bootstrap.js';
import { TokenStore } from './auth/token-store.js';
import { type Clock, systemClock } from './clock.js';
import { createApp } from './app.js';
import { openDatabase } from './db/open.js';
import type { ControllerDeps } from './deps.js';
import { KEY_FILES, loadOrCreateKey } from './keys.js';
import { type ControllerMetrics, createControllerMetrics } from './metrics.js';
import type { QueueSettings } from './queue/core.js';
import { QueueService } from './queue/service.js';
import { SecretStore } from './secret-store.js';
import { Sweeper } from './sweeper.js';
import { StatusReporter, type StatusReporterOptions } from './triggers/github-status.js';
import { CacheRepoSource, type RepoSource, unavailableRepoSource } from './triggers/repo-source.js';
import { ScheduleRunner } from './triggers/schedules.js';
import { CONTROLLER_VERSION } from './version.js';

export interface ControllerOptions {
  /** Directory for generated keys and the admin-token file. */
  dataDir: string;
  /** SQLite file; defaults to `<dataDir>/state.db`. */
  dbPath?: string;
  /** Node-token key; loaded from / generated into `<dataDir>/signing-key` when absent. */
  signingKey?: string;
  /** Secret-encryption key; loaded from / generated into `<dataDir>/secret-key` when absent. */
  secretKey?: string;
  /** Seed admin token (stored hashed if not yet stored). */
  adminToken?: string;
  /** Seed runner token (scope nodes.claim), stored hashed if not yet stored. */
  runnerToken?: string;
  webhookSecret?: string;
  /** Pipelines whose runs from fork pull requests may read secrets (default none). */
  forkSecretPipelines?: string[];
  /** Accept `local_path` triggers (local mode). Default false. */
  allowLocalPath?: boolean;
  /** Local mode: the actor recorded on `local_path` triggers (the OS user) instead of the token's name. */
  localActor?: string;
  settings?: Partial<QueueSettings>;
  /** Sweep period in ms (default 5000). */
  sweepIntervalMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** Defaults to a fresh registry; pass `createControllerMetrics({defaultMetrics: true})` for process metrics. */
  metrics?: ControllerMetrics;
  cacheUrl?: string;
  logsUrl?: string;
  /** GitHub commit statuses: credentials and API URL; none are posted without. */
  github?: StatusReporterOptions;
  /** Override how repositories are read (default: the cache at `cacheUrl`). */
  repoSource?: RepoSource;
  /** Override where drizzle migrations live (normally found next to the package). */
  migrationsFolder?: string;
}

export interface Controller {
  app: ReturnType<typeof createApp>;
  deps: ControllerDeps;
  queue: QueueService;
  sweeper: Sweeper;
  /** Fires `schedule:` entries; started by main.ts (tests call `tick()`). */
  schedules: ScheduleRunner;
  /** Posts GitHub commit statuses, when credentials are configured. */
  statuses: StatusReporter | null;
  tokens: TokenStore;
  secrets: SecretStore;
  metrics: ControllerMetrics;
  /** The admin token this process knows (seed or generated file), or null if it was created elsewhere. */
  adminToken: string | null;
  signingKey: string;
  dbPath: string;
  /** Stops the sweeper, answers waiting claims with 204 and closes the database. */
  close(): void;
}

/**
 * Opens and migrates the store, loads or generates keys, makes sure an admin token exists and wires the
 * queue, sweeper and HTTP app. Nothing runs in the background until `sweeper.start()`.
 */
export function createController(options: ControllerOptions): Controller {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const dbPath = options.dbPath ?? join(options.dataDir, 'state.db');
  const { db, sqlite } = openDatabase(dbPath, { migrations: options.migrationsFolder });
  const signingKey = loadOrCreateKey(options.dataDir, KEY_FILES.signingKey, options.signingKey);
  const secretKey = loadOrCreateKey(options.dataDir, KEY_FILES.secretKey, options.secretKey);
  const metrics = options.metrics ?? createControllerMetrics();
  const tokens = new TokenStore(db, clock);
  const adminToken = ensureAdminToken(tokens, options.dataDir, logger, options.adminToken);
  if (options.runnerToken) ensureRunnerToken(tokens, logger, options.runnerToken);
  const secrets = new SecretStore(db, clock, secretKey);
  const queue = new QueueService({ db, metrics, signingKey, settings: options.settings, clock, logger });
  const sweeper = new Sweeper(queue, options.sweepIntervalMs ?? 5_000, logger);
  const triggerMetrics = metrics.triggers;
  const repoSource =
    options.repoSource ??
    (options.cacheUrl
      ? new CacheRepoSource({
          baseUrl: options.cacheUrl,
          token: ensureCacheToken(tokens, options.dataDir, logger),
        })
      : unavailableRepoSource);
  const schedules = new ScheduleRunner({ db, queue, source: repoSource, metrics: triggerMetrics, logger });
  const statuses = options.github
    ? new StatusReporter({ db, clock, logger, metrics: triggerMetrics }, options.github)
    : null;
  const deps: ControllerDeps = {
    db,
    queue,
    tokens,
    secrets,
    metrics,
    logger,
    clock,
    signingKey,
    webhookSecret: options.webhookSecret,
    forkSecrets: { pipelines: new Set(options.forkSecretPipelines ?? []) },
    repoSource,
    reportStatuses: statuses !== null,
    allowLocalPath: options.allowLocalPath ?? false,
    localActor: options.localActor,
    version: CONTROLLER_VERSION,
    cacheUrl: options.cacheUrl,
    logsUrl: options.logsUrl,
  };
  const app = createApp(deps);
  let closed = false;
  return {
    app,
    deps,
    queue,
    sweeper,
    schedules,
    statuses,
    tokens,
    secrets,
    metrics,
    adminToken,
    signingKey,
    dbPath,
    close() {
      if (closed) return;
      closed = true;
      sweeper.stop();
      void schedules.stop();
      void statuses?.stop();
      queue.releaseWaiters();
      sqlite.close();
    },
  };
}
