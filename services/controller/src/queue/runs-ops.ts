import {
  ApiError,
  type GitSource,
  isTerminalRunStatus,
  newRunId,
  PLAN_NODE_ID,
  type PlanNode,
  type Run,
  type TriggerKind,
} from '@sparkwing/contracts';
import { and, eq, inArray, ne } from 'drizzle-orm';
import { nodeAttempts, nodeMetrics, nodes, runs } from '../db/schema.js';
import type { QueueCore } from './core.js';
import { toRun } from './mappers.js';
import { requireLease } from './node-ops.js';
import { advanceRun, markReady } from './scheduler.js';
import { recordTriggerSpan } from './spans.js';
import type { TxContext } from './tx.js';

export interface TriggerInput {
  pipeline: string;
  args?: Record<string, string>;
  git?: GitSource | null;
  uploadRef?: string | null;
  localPath?: string | null;
  idempotencyKey?: string | null;
  trigger: TriggerDetails;
  retryOf?: string | null;
  /** Resolved `concurrency.group`; with `cancelInProgress`, older active runs of the group are cancelled. */
  concurrency?: { group: string; cancelInProgress: boolean } | null;
  deliveryId?: string | null;
  /** Ends the run `failed` at once with this message (an invalid sparkwing.yaml at the event's commit). */
  failWith?: string | null;
}

export interface TriggerDetails {
  kind: TriggerKind;
  event?: string | null;
  actor?: string | null;
  ref?: string | null;
  sha?: string | null;
  prNumber?: number | null;
  fork?: boolean;
  rule?: string | null;
  /** GitHub `owner/name`: set, it makes the run report commit statuses. */
  repo?: string | null;
}

export interface TriggerResult {
  runId: string;
  /** False when the idempotency key matched an existing run. */
  created: boolean;
}

/** Inside a transaction: creates a queued run whose only node, `_plan`, is ready. */
export function insertRun(ctx: TxContext, input: TriggerInput): TriggerResult {
  if (input.idempotencyKey) {
    const existing = ctx.tx
      .select({ id: runs.id })
      .from(runs)
      .where(and(eq(runs.pipeline, input.pipeline), eq(runs.idempotencyKey, input.idempotencyKey)))
      .get();
    if (existing) return { runId: existing.id, created: false };
  }
  const runId = newRunId(ctx.now);
  ctx.tx
    .insert(runs)
    .values({
      id: runId,
      pipeline: input.pipeline,
      status: 'queued',
      args: input.args ?? {},
      git: input.git ?? null,
      uploadRef: input.uploadRef ?? null,
      localPath: input.localPath ?? null,
      triggerKind: input.trigger.kind,
      triggerEvent: input.trigger.event ?? null,
      triggerActor: input.trigger.actor ?? null,
      triggerRef: input.trigger.ref ?? null,
      triggerSha: input.trigger.sha ?? null,
      triggerPr: input.trigger.prNumber ?? null,
      triggerFork: input.trigger.fork ?? false,
      triggerRule: input.trigger.rule ?? null,
      triggerRepo: input.trigger.repo ?? null,
      branch: input.git?.branch ?? null,
      concurrencyGroup: input.concurrency?.group ?? null,
      deliveryId: input.deliveryId ?? null,
      retryOf: input.retryOf ?? null,
      idempotencyKey: input.idempotencyKey ?? null,
      createdAt: ctx.now,
    })
    .run();
  if (input.concurrency?.cancelInProgress) cancelGroup(ctx, input.concurrency.group, runId);
  if (input.failWith) {
    ctx.tx
      .update(runs)
      .set({ status: 'failed', error: input.failWith, finishedAt: ctx.now })
      .where(eq(runs.id, runId))
      .run();
    ctx.metrics.runsTotal.inc({ pipeline: input.pipeline, status: 'failed' });
    recordTriggerSpan(runId, input.pipeline, input.trigger.kind, ctx.now);
    return { runId, created: true };
  }
  const planNode = ctx.tx
    .insert(nodes)
    .values({
      runId,
      nodeId: PLAN_NODE_ID,
      status: 'pending',
      needs: [],
      requires: [],
      requiresKey: '[]',
      env: {},
      resources: {},
      steps: [],
    })
    .returning({ pk: nodes.pk })
    .get();
  markReady(ctx, { pk: planNode.pk, runId, nodeId: PLAN_NODE_ID, attempt: 1, requires: [] });
  recordTriggerSpan(runId, input.pipeline, input.trigger.kind, ctx.now);
  return { runId, created: true };
}

/** Cancels the active runs of a concurrency group other than `keep` (a newer run took their place). */
function cancelGroup(ctx: TxContext, group: string, keep: string): void {
  const older = ctx.tx
    .select({ id: runs.id })
    .from(runs)
    .where(
      and(eq(runs.concurrencyGroup, group), inArray(runs.status, ['queued', 'running']), ne(runs.id, keep)),
    )
    .all();
  for (const run of older) requestCancel(ctx, run.id);
}

export function trigger(core: QueueCore, input: TriggerInput): TriggerResult {
  return core.write((ctx) => insertRun(ctx, input));
}

/** Stores the DAG (and compiled-pipeline digest) posted by the `_plan` node's runner; queues its root nodes. */
export function postPlan(
  core: QueueCore,
  runId: string,
  planAttempt: number,
  planNodes: PlanNode[],
  bundleDigest?: string,
): void {
  core.write((ctx) => {
    requireLease(ctx.q, runId, PLAN_NODE_ID, planAttempt);
    const run = ctx.tx.select().from(runs).where(eq(runs.id, runId)).get();
    if (!run) throw new ApiError('not_found', `run ${runId} not found`);
    if (run.finishedAt !== null) throw new ApiError('conflict', `run ${runId} already ended ${run.status}`);
    const existing = ctx.tx.select({ nodeId: nodes.nodeId }).from(nodes).where(eq(nodes.runId, runId)).all();
    if (existing.length > 1) throw new ApiError('conflict', `run ${runId} already has a plan`);
    const rows = planNodes.map((node) => ({
      runId,
      nodeId: node.id,
      status: 'pending' as const,
      needs: node.needs ?? [],
      requires: node.requires ?? [],
      requiresKey: JSON.stringify(node.requires ?? []),
      timeoutS: node.timeout_s ?? null,
      retries: node.retries ?? 0,
      env: node.env ?? {},
      resources: node.resources ?? {},
      steps: node.steps ?? [],
    }));
    // Multi-row inserts in chunks that stay under SQLite's bound-variable limit.
    for (let i = 0; i < rows.length; i += 500)
      ctx.tx
        .insert(nodes)
        .values(rows.slice(i, i + 500))
        .run();
    if (bundleDigest) ctx.tx.update(runs).set({ bundleDigest }).where(eq(runs.id, runId)).run();
    advanceRun(ctx, runId);
  });
}

/**
 * Requests cancellation: pending and ready nodes end `cancelled` now; claimed and running nodes are flagged
 * (their holders see it on the next node heartbeat) and the run ends `cancelled` once they finish.
 */
export function cancelRun(core: QueueCore, runId: string): Run {
  return core.write((ctx) => {
    requestCancel(ctx, runId);
    return toRun(ctx.tx.select().from(runs).where(eq(runs.id, runId)).get()!);
  });
}

/** Inside a transaction: the cancellation `cancelRun` describes; 404 for an unknown run. */
export function requestCancel(ctx: TxContext, runId: string): void {
  const run = ctx.tx.select().from(runs).where(eq(runs.id, runId)).get();
  if (!run) throw new ApiError('not_found', `run ${runId} not found`);
  if (isTerminalRunStatus(run.status)) return;
  ctx.tx.update(runs).set({ cancelRequested: true }).where(eq(runs.id, runId)).run();
  const active = ctx.tx
    .select({ pk: nodes.pk, nodeId: nodes.nodeId, attempt: nodes.attempt, runnerId: nodes.runnerId })
    .from(nodes)
    .where(and(eq(nodes.runId, runId), inArray(nodes.status, ['claimed', 'running'])))
    .all();
  if (active.length > 0) {
    ctx.tx
      .update(nodes)
      .set({ cancelRequested: true })
      .where(
        inArray(
          nodes.pk,
          active.map((n) => n.pk),
        ),
      )
      .run();
  }
  advanceRun(ctx, runId);
  ctx.events.cancelled.push({
    runId,
    activeNodes: active.map((n) => ({ nodeId: n.nodeId, attempt: n.attempt, runnerId: n.runnerId })),
  });
}

/** A new run of the same pipeline, args and source as a finished one. */
export function retryRun(core: QueueCore, runId: string, actor: string | null): TriggerResult {
  return core.write((ctx) => {
    const run = ctx.tx.select().from(runs).where(eq(runs.id, runId)).get();
    if (!run) throw new ApiError('not_found', `run ${runId} not found`);
    if (!isTerminalRunStatus(run.status)) {
      throw new ApiError(
        'conflict',
        `run ${runId} is still ${run.status}; cancel it or wait for it to end first`,
      );
    }
    return insertRun(ctx, {
      pipeline: run.pipeline,
      args: run.args,
      git: run.git,
      uploadRef: run.uploadRef,
      localPath: run.localPath,
      trigger: { kind: 'retry', event: null, actor },
      retryOf: run.id,
    });
  });
}

/** Deletes a run with its nodes, attempts and metrics; false when there was no such run. */
export function deleteRun(core: QueueCore, runId: string): boolean {
  return core.write((ctx) => {
    const deleted = ctx.tx.delete(runs).where(eq(runs.id, runId)).run();
    ctx.tx.delete(nodes).where(eq(nodes.runId, runId)).run();
    ctx.tx.delete(nodeAttempts).where(eq(nodeAttempts.runId, runId)).run();
    ctx.tx.delete(nodeMetrics).where(eq(nodeMetrics.runId, runId)).run();
    return deleted.changes > 0;
  });
}
