import type {
  FailureReason,
  GitSource,
  NodeStatus,
  Resources,
  RunStatus,
  TriggerKind,
} from '@sparkwing/contracts';
import {
  blob,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';

/** Timestamps are unix milliseconds; the API renders them as ISO-8601. */
export const runs = sqliteTable(
  'runs',
  {
    id: text('id').primaryKey(),
    pipeline: text('pipeline').notNull(),
    status: text('status').$type<RunStatus>().notNull(),
    args: text('args', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    git: text('git', { mode: 'json' }).$type<GitSource>(),
    uploadRef: text('upload_ref'),
    localPath: text('local_path'),
    triggerKind: text('trigger_kind').$type<TriggerKind>().notNull(),
    triggerEvent: text('trigger_event'),
    triggerActor: text('trigger_actor'),
    triggerRef: text('trigger_ref'),
    triggerSha: text('trigger_sha'),
    triggerPr: integer('trigger_pr'),
    triggerFork: integer('trigger_fork', { mode: 'boolean' }).notNull().default(false),
    triggerRule: text('trigger_rule'),
    /** GitHub `owner/name` commit statuses go to; null when the run did not come from GitHub. */
    triggerRepo: text('trigger_repo'),
    /** Head branch of the run's source (git.branch), a column so `GET /runs?branch=` can use an index. */
    branch: text('branch'),
    concurrencyGroup: text('concurrency_group'),
    /** `X-GitHub-Delivery` that created the run (one delivery can create several runs). */
    deliveryId: text('delivery_id'),
    retryOf: text('retry_of'),
    /** Digest of the compiled pipeline the `_plan` node built (`sha256-<hex>`); set with the plan. */
    bundleDigest: text('bundle_digest'),
    idempotencyKey: text('idempotency_key'),
    cancelRequested: integer('cancel_requested', { mode: 'boolean' }).notNull().default(false),
    failureReason: text('failure_reason').$type<FailureReason>(),
    error: text('error'),
    createdAt: integer('created_at').notNull(),
    startedAt: integer('started_at'),
    finishedAt: integer('finished_at'),
  },
  (t) => [
    uniqueIndex('runs_idempotency').on(t.pipeline, t.idempotencyKey),
    index('runs_pipeline_id').on(t.pipeline, t.id),
    index('runs_status_id').on(t.status, t.id),
    index('runs_branch_id').on(t.branch, t.id),
    index('runs_event_id').on(t.triggerEvent, t.id),
    index('runs_concurrency').on(t.concurrencyGroup, t.status),
    index('runs_repo_pr').on(t.triggerRepo, t.triggerPr),
    index('runs_delivery').on(t.deliveryId),
  ],
);

/** Who wrote a node's terminal state; anything but `runner` means the runner's lease was taken away. */
export type FinishedBy = 'runner' | 'controller' | 'dispatcher';

export const nodes = sqliteTable(
  'nodes',
  {
    pk: integer('pk').primaryKey({ autoIncrement: true }),
    runId: text('run_id').notNull(),
    nodeId: text('node_id').notNull(),
    status: text('status').$type<NodeStatus>().notNull(),
    needs: text('needs', { mode: 'json' }).$type<string[]>().notNull(),
    requires: text('requires', { mode: 'json' }).$type<string[]>().notNull(),
    /** `requires` serialised: the claim query groups ready nodes by it. */
    requiresKey: text('requires_key').notNull(),
    timeoutS: integer('timeout_s'),
    retries: integer('retries').notNull().default(0),
    attempt: integer('attempt').notNull().default(1),
    env: text('env', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    resources: text('resources', { mode: 'json' }).$type<Resources>().notNull(),
    steps: text('steps', { mode: 'json' }).$type<{ id: string; needs?: string[] }[]>().notNull(),
    runnerId: text('runner_id'),
    statusDetail: text('status_detail'),
    readyAt: integer('ready_at'),
    claimedAt: integer('claimed_at'),
    startedAt: integer('started_at'),
    finishedAt: integer('finished_at'),
    leaseExpiresAt: integer('lease_expires_at'),
    cancelRequested: integer('cancel_requested', { mode: 'boolean' }).notNull().default(false),
    failureReason: text('failure_reason').$type<FailureReason>(),
    exitCode: integer('exit_code'),
    error: text('error'),
    logs: text('logs'),
    output: text('output', { mode: 'json' }).$type<unknown>(),
    deathLog: text('death_log'),
    finishedBy: text('finished_by').$type<FinishedBy>(),
  },
  (t) => [
    uniqueIndex('nodes_run_node').on(t.runId, t.nodeId),
    index('nodes_ready').on(t.status, t.requiresKey, t.readyAt),
    index('nodes_status_run').on(t.status, t.runId),
    index('nodes_runner').on(t.runnerId, t.status),
  ],
);

export const nodeAttempts = sqliteTable(
  'node_attempts',
  {
    runId: text('run_id').notNull(),
    nodeId: text('node_id').notNull(),
    attempt: integer('attempt').notNull(),
    runnerId: text('runner_id'),
    status: text('status').$type<NodeStatus>().notNull(),
    claimedAt: integer('claimed_at'),
    startedAt: integer('started_at'),
    finishedAt: integer('finished_at'),
    failureReason: text('failure_reason').$type<FailureReason>(),
    exitCode: integer('exit_code'),
    error: text('error'),
  },
  (t) => [primaryKey({ columns: [t.runId, t.nodeId, t.attempt] })],
);

export const nodeMetrics = sqliteTable(
  'node_metrics',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    runId: text('run_id').notNull(),
    nodeId: text('node_id').notNull(),
    ts: text('ts').notNull(),
    tsMs: integer('ts_ms').notNull(),
    cpuMillicores: real('cpu_millicores').notNull(),
    memoryBytes: integer('memory_bytes').notNull(),
  },
  (t) => [index('node_metrics_node').on(t.runId, t.nodeId, t.tsMs)],
);

export const runners = sqliteTable('runners', {
  runnerId: text('runner_id').primaryKey(),
  labels: text('labels', { mode: 'json' }).$type<string[]>().notNull(),
  version: text('version'),
  capacity: integer('capacity'),
  firstSeen: integer('first_seen').notNull(),
  lastSeen: integer('last_seen').notNull(),
});

export const tokens = sqliteTable(
  'tokens',
  {
    prefix: text('prefix').primaryKey(),
    /** SHA-256 of the whole token, hex; the token itself is never stored. */
    hash: text('hash').notNull(),
    name: text('name').notNull(),
    kind: text('kind').$type<'user' | 'runner' | 'service'>().notNull(),
    scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [uniqueIndex('tokens_hash').on(t.hash)],
);

export const secrets = sqliteTable('secrets', {
  name: text('name').primaryKey(),
  /** AES-256-GCM: 12-byte IV, 16-byte tag, ciphertext. */
  sealed: blob('sealed', { mode: 'buffer' }).notNull(),
  /** Pipelines allowed to read it; null = every pipeline. */
  pipelines: text('pipelines', { mode: 'json' }).$type<string[]>(),
  /** Branch patterns allowed to read it; null = any ref. */
  branches: text('branches', { mode: 'json' }).$type<string[]>(),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

export const webhookDeliveries = sqliteTable('webhook_deliveries', {
  deliveryId: text('delivery_id').primaryKey(),
  event: text('event').notNull(),
  runId: text('run_id'),
  receivedAt: integer('received_at').notNull(),
});

/** Repositories seen in webhook deliveries: schedules read their default branch's sparkwing.yaml. */
export const repos = sqliteTable('repos', {
  /** GitHub `owner/name`. */
  fullName: text('full_name').primaryKey(),
  cloneUrl: text('clone_url').notNull(),
  defaultBranch: text('default_branch').notNull(),
  firstSeen: integer('first_seen').notNull(),
  lastSeen: integer('last_seen').notNull(),
});

/** Next fire time per (repo, pipeline, schedule entry); advanced in the transaction that creates the run. */
export const schedules = sqliteTable(
  'schedules',
  {
    repo: text('repo').notNull(),
    pipeline: text('pipeline').notNull(),
    entry: text('entry').notNull(),
    nextFireAt: integer('next_fire_at'),
    lastFiredAt: integer('last_fired_at'),
    lastRunId: text('last_run_id'),
  },
  (t) => [primaryKey({ columns: [t.repo, t.pipeline, t.entry] })],
);

export type CommitState = 'pending' | 'success' | 'failure' | 'error';

/** Outbox of GitHub commit statuses: the reporter posts `wanted` states until `posted` catches up. */
export const commitStatuses = sqliteTable(
  'commit_statuses',
  {
    runId: text('run_id').primaryKey(),
    repo: text('repo').notNull(),
    sha: text('sha').notNull(),
    pipeline: text('pipeline').notNull(),
    posted: text('posted').$type<CommitState>(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    lastError: text('last_error'),
    /** Set once a terminal state is posted (or retries are exhausted): the reporter stops looking. */
    done: integer('done', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [index('commit_statuses_due').on(t.done, t.nextAttemptAt)],
);
