import { z } from 'zod';
import { failureReasonSchema } from '../failure-reasons.js';
import { nodeStatusSchema, runStatusSchema } from '../states.js';
import { resourcesSchema, stringMapSchema, timestampSchema } from './common.js';

export const gitSourceSchema = z.strictObject({
  repo_url: z.string().min(1).max(2048),
  branch: z.string().max(512).optional(),
  sha: z
    .string()
    .regex(/^[0-9a-f]{7,64}$/, 'must be a hex commit sha')
    .optional(),
  /**
   * The code comes from a pull request of a fork: the run gets no secrets unless the operator opted its
   * pipeline in (GitHub's `pull_request` model; opting in is `pull_request_target`).
   */
  fork: z.boolean().optional(),
});
export type GitSource = z.infer<typeof gitSourceSchema>;

export const triggerRequestSchema = z.strictObject({
  pipeline: z.string().min(1).max(128),
  args: stringMapSchema.optional(),
  git: gitSourceSchema.optional(),
  upload_ref: z.string().min(1).max(200).optional(),
  idempotency_key: z.string().min(1).max(200).optional(),
  /** Local mode only: the working tree the in-process runner reads. Refused by a cluster controller. */
  local_path: z.string().min(1).max(4096).optional(),
});
export type TriggerRequest = z.infer<typeof triggerRequestSchema>;

export const triggerResponseSchema = z.strictObject({ run_id: z.string() });
export type TriggerResponse = z.infer<typeof triggerResponseSchema>;

export const TRIGGER_KINDS = ['api', 'webhook', 'local', 'retry', 'schedule'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];
/** Trigger events a run records (`event`); `GET /runs?event=` filters on them. */
export const TRIGGER_EVENTS = ['push', 'tag', 'pull_request', 'schedule'] as const;
export const triggerInfoSchema = z.object({
  kind: z.enum(TRIGGER_KINDS),
  /** Trigger event (`push`, `tag`, `pull_request`, `schedule`), null for API triggers. */
  event: z.string().nullable(),
  actor: z.string().nullable(),
  /** Full git ref of the event (`refs/heads/main`, `refs/tags/v1`, `refs/pull/7/head`). */
  ref: z.string().nullable().default(null),
  sha: z.string().nullable().default(null),
  pr_number: z.number().int().nullable().default(null),
  /** A pull request from a fork (head repository differs from the base repository). */
  fork: z.boolean().default(false),
  /** The `on:` rule that matched, e.g. `push.branches: release/**` or `schedule: 0 3 * * *`. */
  rule: z.string().nullable().default(null),
  /** The GitHub repository (`owner/name`) commit statuses are posted to. */
  repo: z.string().nullable().default(null),
});
export type TriggerInfo = z.infer<typeof triggerInfoSchema>;

export const runSchema = z.object({
  id: z.string(),
  pipeline: z.string(),
  status: runStatusSchema,
  args: stringMapSchema,
  git: gitSourceSchema.nullable(),
  upload_ref: z.string().nullable(),
  local_path: z.string().nullable(),
  trigger: triggerInfoSchema,
  retry_of: z.string().nullable(),
  /** Digest (`sha256-<hex>`) of the compiled pipeline its `_plan` node built; jobs execute only that. */
  bundle_digest: z.string().nullable(),
  /** The resolved `concurrency.group` of the pipeline, if it has one. */
  concurrency_group: z.string().nullable().default(null),
  cancel_requested: z.boolean(),
  /** The failure reason of the first node that failed with one. */
  failure_reason: failureReasonSchema.nullable(),
  error: z.string().nullable(),
  created_at: timestampSchema,
  started_at: timestampSchema.nullable(),
  finished_at: timestampSchema.nullable(),
  duration_ms: z.number().nullable(),
});
export type Run = z.infer<typeof runSchema>;

/** `result` as seed 000 shows it: present once the node is terminal. */
export const nodeResultSchema = z.object({
  success: z.boolean(),
  failure_reason: failureReasonSchema.nullable(),
  exit_code: z.number().int().nullable(),
  logs: z.string(),
});
export type NodeResult = z.infer<typeof nodeResultSchema>;

export const nodeAttemptSchema = z.object({
  attempt: z.number().int(),
  runner_id: z.string().nullable(),
  status: nodeStatusSchema,
  claimed_at: timestampSchema.nullable(),
  started_at: timestampSchema.nullable(),
  finished_at: timestampSchema.nullable(),
  failure_reason: failureReasonSchema.nullable(),
  exit_code: z.number().int().nullable(),
  error: z.string().nullable(),
});
export type NodeAttempt = z.infer<typeof nodeAttemptSchema>;

export const stepInfoSchema = z.strictObject({
  id: z.string().min(1).max(128),
  needs: z.array(z.string().min(1).max(128)).max(64).optional(),
});

export const nodeSchema = z.object({
  id: z.string(),
  run_id: z.string(),
  status: nodeStatusSchema,
  needs: z.array(z.string()),
  requires: z.array(z.string()),
  timeout_s: z.number().nullable(),
  retries: z.number().int(),
  attempt: z.number().int(),
  env: stringMapSchema,
  resources: resourcesSchema,
  steps: z.array(stepInfoSchema),
  runner_id: z.string().nullable(),
  /** Live status detail (e.g. `ImagePullBackOff`) while the node waits to run. */
  status_detail: z.string().nullable(),
  ready_at: timestampSchema.nullable(),
  claimed_at: timestampSchema.nullable(),
  started_at: timestampSchema.nullable(),
  finished_at: timestampSchema.nullable(),
  error: z.string().nullable(),
  output: z.unknown().nullable(),
  result: nodeResultSchema.nullable(),
  attempts: z.array(nodeAttemptSchema),
  /** Log tail of a runner pod that died abnormally (seed 004). */
  death_log: z.string().nullable(),
});
export type RunNode = z.infer<typeof nodeSchema>;

export const runDetailSchema = z.object({ run: runSchema, nodes: z.array(nodeSchema) });
export type RunDetail = z.infer<typeof runDetailSchema>;

export const runListQuerySchema = z.object({
  pipeline: z.string().max(128).optional(),
  status: runStatusSchema.optional(),
  /** The run's git branch (PR runs: the head branch). */
  branch: z.string().max(512).optional(),
  event: z.enum(TRIGGER_EVENTS).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});
export const runListSchema = z.object({ runs: z.array(runSchema), next_cursor: z.string().nullable() });
export type RunList = z.infer<typeof runListSchema>;

export const pipelineSummarySchema = z.object({
  pipeline: z.string(),
  last_run: runSchema,
  status: runStatusSchema,
  failure_reason: failureReasonSchema.nullable(),
  run_count: z.number().int(),
});
export const pipelineListSchema = z.object({ pipelines: z.array(pipelineSummarySchema) });
export type PipelineSummary = z.infer<typeof pipelineSummarySchema>;

export const queueEntrySchema = z.object({
  run_id: z.string(),
  node_id: z.string(),
  pipeline: z.string(),
  requires: z.array(z.string()),
  ready_at: timestampSchema,
  wait_s: z.number(),
  /** Whether some live runner advertises labels satisfying `requires`. */
  satisfiable: z.boolean(),
});
export const queueSchema = z.object({
  ready: z.array(queueEntrySchema),
  oldest_wait_s: z.number().nullable(),
  unsatisfied_label_sets: z.array(z.array(z.string())),
});
export type Queue = z.infer<typeof queueSchema>;
