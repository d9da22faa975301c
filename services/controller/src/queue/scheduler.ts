import type { FailureReason, NodeStatus } from '@sparkwing/contracts';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { type FinishedBy, nodeAttempts, nodes, runs } from '../db/schema.js';
import { NO_REASON } from '../metrics.js';
import type { NodeRow } from './mappers.js';
import { recordRunEndSpan } from './spans.js';
import type { TxContext } from './tx.js';

/**
 * Failures the controller never retries: waiting longer for a runner, or a new pod of the same image and
 * requests, would not help.
 */
const NOT_RETRIED: ReadonlySet<FailureReason> = new Set(['queue_timeout', 'image_pull', 'unschedulable']);
// The one terminal-status set lives in contracts; re-exported under the name the queue modules use.
export { isTerminalNodeStatus as isTerminal } from '@sparkwing/contracts';

export interface Failure {
  failureReason?: FailureReason | null;
  exitCode?: number | null;
  error?: string | null;
  logs?: string | null;
}

/** Puts a node in the claim queue and announces it once the transaction commits. */
export function markReady(
  ctx: TxContext,
  row: Pick<NodeRow, 'pk' | 'runId' | 'nodeId' | 'attempt' | 'requires'>,
): void {
  ctx.q.markReady.run({ now: ctx.now, pk: row.pk });
  ctx.metrics.nodesEnqueued.inc();
  ctx.events.ready.push({
    runId: row.runId,
    nodeId: row.nodeId,
    attempt: row.attempt,
    requires: row.requires,
  });
}

/** Records the end of the current attempt in its history row (creating it for never-claimed nodes). */
function closeAttempt(ctx: TxContext, row: NodeRow, status: NodeStatus, failure: Failure): void {
  const values = {
    status,
    finishedAt: ctx.now,
    failureReason: failure.failureReason ?? null,
    exitCode: failure.exitCode ?? null,
    error: failure.error ?? null,
  };
  const updated = ctx.q.endAttempt.run({
    ...values,
    now: ctx.now,
    runId: row.runId,
    nodeId: row.nodeId,
    attempt: row.attempt,
  });
  if (updated.changes === 0 && status !== 'skipped' && status !== 'cancelled') {
    ctx.tx
      .insert(nodeAttempts)
      .values({
        runId: row.runId,
        nodeId: row.nodeId,
        attempt: row.attempt,
        runnerId: row.runnerId,
        ...values,
      })
      .run();
  }
}

/** Writes a terminal node state and lets the run move on. */
export function terminate(
  ctx: TxContext,
  row: NodeRow,
  status: NodeStatus,
  failure: Failure & { output?: unknown; finishedBy: FinishedBy },
): void {
  ctx.q.endNode.run({
    pk: row.pk,
    status,
    now: ctx.now,
    failureReason: failure.failureReason ?? null,
    exitCode: failure.exitCode ?? null,
    error: failure.error ?? null,
    logs: failure.logs ?? failure.error ?? null,
    output: failure.output === undefined || failure.output === null ? null : JSON.stringify(failure.output),
    finishedBy: failure.finishedBy,
  });
  if (row.claimedAt !== null) closeAttempt(ctx, row, status, failure);
  else if (status === 'failed') closeAttempt(ctx, row, status, failure);
  ctx.metrics.nodesCompleted.inc({ outcome: status, failure_reason: failure.failureReason ?? NO_REASON });
  advanceRun(ctx, row.runId);
}

/**
 * Ends the current attempt as failed: re-queued with attempt + 1 while retries remain (and the run is not
 * being cancelled), otherwise terminal (`cancelled` when the run is being cancelled).
 */
export function failAttempt(
  ctx: TxContext,
  row: NodeRow,
  failure: Failure,
  finishedBy: FinishedBy,
): 'requeued' | NodeStatus {
  const run = ctx.q.runById.get({ id: row.runId });
  const cancelling = run?.cancelRequested === true || row.cancelRequested;
  if (cancelling) {
    terminate(ctx, row, 'cancelled', { ...failure, finishedBy });
    return 'cancelled';
  }
  const retryable = !failure.failureReason || !NOT_RETRIED.has(failure.failureReason);
  if (retryable && row.attempt <= row.retries) {
    closeAttempt(ctx, row, 'failed', failure);
    ctx.tx
      .update(nodes)
      .set({
        attempt: row.attempt + 1,
        runnerId: null,
        claimedAt: null,
        startedAt: null,
        leaseExpiresAt: null,
        cancelRequested: false,
      })
      .where(eq(nodes.pk, row.pk))
      .run();
    ctx.metrics.nodesRequeued.inc({ reason: failure.failureReason ?? 'failed' });
    markReady(ctx, { ...row, attempt: row.attempt + 1 });
    return 'requeued';
  }
  terminate(ctx, row, 'failed', { ...failure, finishedBy });
  return 'failed';
}

/**
 * Moves pending nodes whose needs all succeeded to ready, skips those with a need that did not, cancels
 * what is left of a cancelled run, and ends the run once every node is terminal.
 */
export function advanceRun(ctx: TxContext, runId: string): void {
  const run = ctx.q.runById.get({ id: runId });
  if (!run || run.finishedAt !== null) return;
  const pending: {
    pk: number;
    nodeId: string;
    needs: string[];
    attempt: number;
    requires: string[];
    status: NodeStatus;
  }[] = ctx.q.pendingOfRun.all({ runId }).map((n) => ({ ...n, status: 'pending' }));
  const status = new Map<string, NodeStatus>(
    pending.length > 0 ? ctx.q.statusesOfRun.all({ runId }).map((n) => [n.nodeId, n.status]) : [],
  );
  let changed = true;
  while (changed) {
    changed = false;
    for (const node of pending) {
      if (node.status !== 'pending') continue;
      if (run.cancelRequested) {
        setSimple(ctx, node.pk, 'cancelled', 'cancelled before it started');
      } else {
        const blocker = node.needs.find((need) => {
          const s = status.get(need);
          return s === 'failed' || s === 'skipped' || s === 'cancelled';
        });
        if (blocker) {
          setSimple(
            ctx,
            node.pk,
            'skipped',
            `skipped: needs "${blocker}", which ended ${status.get(blocker)}`,
          );
        } else if (node.needs.every((need) => status.get(need) === 'success')) {
          markReady(ctx, { ...node, runId });
          node.status = 'ready';
          status.set(node.nodeId, 'ready');
          continue;
        } else {
          continue;
        }
      }
      node.status = run.cancelRequested ? 'cancelled' : 'skipped';
      status.set(node.nodeId, node.status);
      changed = true;
    }
  }
  if (run.cancelRequested) {
    for (const node of ctx.q.readyOfRun.all({ runId }))
      setSimple(ctx, node.pk, 'cancelled', 'cancelled before it was claimed');
  }
  if (!ctx.q.unfinishedOfRun.get({ runId })) finishRun(ctx, runId, run.cancelRequested);
}

/** Terminal state for a node that never ran (skipped, cancelled). */
function setSimple(ctx: TxContext, pk: number, status: 'skipped' | 'cancelled', message: string): void {
  ctx.tx
    .update(nodes)
    .set({ status, finishedAt: ctx.now, logs: message, finishedBy: 'controller' })
    .where(eq(nodes.pk, pk))
    .run();
  ctx.metrics.nodesCompleted.inc({ outcome: status, failure_reason: NO_REASON });
}

function finishRun(ctx: TxContext, runId: string, cancelRequested: boolean): void {
  const run = ctx.tx.select().from(runs).where(eq(runs.id, runId)).get()!;
  const failed = ctx.tx
    .select({ failureReason: nodes.failureReason, error: nodes.error, nodeId: nodes.nodeId })
    .from(nodes)
    .where(and(eq(nodes.runId, runId), eq(nodes.status, 'failed')))
    .orderBy(asc(nodes.finishedAt), asc(nodes.pk))
    .all();
  const cancelled = ctx.tx
    .select({ pk: nodes.pk })
    .from(nodes)
    .where(and(eq(nodes.runId, runId), inArray(nodes.status, ['cancelled'])))
    .limit(1)
    .all();
  const status = cancelRequested
    ? 'cancelled'
    : failed.length > 0
      ? 'failed'
      : cancelled.length > 0
        ? 'cancelled'
        : 'success';
  const withReason = failed.find((f) => f.failureReason !== null);
  const first = failed[0];
  ctx.tx
    .update(runs)
    .set({
      status,
      finishedAt: ctx.now,
      failureReason: withReason?.failureReason ?? null,
      error: first ? `node "${first.nodeId}" failed${first.error ? `: ${first.error}` : ''}` : null,
    })
    .where(eq(runs.id, runId))
    .run();
  ctx.metrics.runsTotal.inc({ pipeline: run.pipeline, status });
  ctx.metrics.runDuration.observe(Math.max(0, ctx.now - run.createdAt) / 1_000);
  recordRunEndSpan(run, status, withReason?.failureReason ?? null, ctx.now);
}
