import { type ClaimResponse, labelsSatisfy } from '@sparkwing/contracts';
import { and, asc, eq, inArray, type SQL } from 'drizzle-orm';
import { nodeAttempts, nodes, runs } from '../db/schema.js';
import type { QueueCore } from './core.js';
import { type AttemptRow, iso, type NodeRow, toNode, toRun } from './mappers.js';
import type { TxContext } from './tx.js';

export interface ClaimFilter {
  runnerId: string;
  labels: readonly string[];
  /** Restricts the claim to one run (local mode). */
  runId?: string;
}

/** Leases `row` (a ready node) to `holder` inside the transaction and builds the claim answer. */
function lease(core: QueueCore, ctx: TxContext, row: NodeRow, holder: string): ClaimResponse | null {
  const expiresAt = ctx.now + core.settings.leaseMs;
  const updated = ctx.tx
    .update(nodes)
    .set({ status: 'claimed', runnerId: holder, claimedAt: ctx.now, leaseExpiresAt: expiresAt, statusDetail: null })
    .where(and(eq(nodes.pk, row.pk), eq(nodes.status, 'ready')))
    .run();
  if (updated.changes === 0) return null;
  ctx.tx
    .insert(nodeAttempts)
    .values({ runId: row.runId, nodeId: row.nodeId, attempt: row.attempt, runnerId: holder, status: 'claimed', claimedAt: ctx.now })
    .onConflictDoUpdate({
      target: [nodeAttempts.runId, nodeAttempts.nodeId, nodeAttempts.attempt],
      set: { runnerId: holder, status: 'claimed', claimedAt: ctx.now },
    })
    .run();
  ctx.tx
    .update(runs)
    .set({ status: 'running', startedAt: ctx.now })
    .where(and(eq(runs.id, row.runId), eq(runs.status, 'queued')))
    .run();
  const run = ctx.tx.select().from(runs).where(eq(runs.id, row.runId)).get()!;
  const claimed = ctx.tx.select().from(nodes).where(eq(nodes.pk, row.pk)).get()!;
  const attempts: AttemptRow[] = ctx.tx
    .select()
    .from(nodeAttempts)
    .where(and(eq(nodeAttempts.runId, row.runId), eq(nodeAttempts.nodeId, row.nodeId)))
    .orderBy(asc(nodeAttempts.attempt))
    .all();
  core.metrics.nodesClaimed.inc();
  if (row.readyAt !== null) core.metrics.queueWait.observe(Math.max(0, ctx.now - row.readyAt) / 1_000);
  return {
    run: toRun(run),
    node: toNode(claimed, attempts),
    lease: { token: core.nodeToken(row.runId, row.nodeId, row.attempt, expiresAt), expires_at: iso(expiresAt)! },
  };
}

/**
 * Claims the oldest ready node whose `requires` the labels satisfy. Ready nodes are grouped by their
 * serialised `requires`, so the label check runs once per distinct requirement set, not once per node.
 */
export function claimNext(core: QueueCore, filter: ClaimFilter): ClaimResponse | null {
  return core.write((ctx) => {
    const scope: SQL[] = [eq(nodes.status, 'ready')];
    if (filter.runId) scope.push(eq(nodes.runId, filter.runId));
    const keys = ctx.tx
      .selectDistinct({ key: nodes.requiresKey, requires: nodes.requires })
      .from(nodes)
      .where(and(...scope))
      .all()
      .filter((k) => labelsSatisfy(k.requires, filter.labels))
      .map((k) => k.key);
    if (keys.length === 0) return null;
    const row = ctx.tx
      .select()
      .from(nodes)
      .where(and(...scope, inArray(nodes.requiresKey, keys)))
      .orderBy(asc(nodes.readyAt), asc(nodes.pk))
      .limit(1)
      .get();
    return row ? lease(core, ctx, row, filter.runnerId) : null;
  });
}

/** Claims one specific ready node for `holder` (the Kubernetes dispatcher); null if it is no longer ready. */
export function claimNode(core: QueueCore, runId: string, nodeId: string, holder: string): ClaimResponse | null {
  return core.write((ctx) => {
    const row = ctx.tx
      .select()
      .from(nodes)
      .where(and(eq(nodes.runId, runId), eq(nodes.nodeId, nodeId), eq(nodes.status, 'ready')))
      .get();
    return row ? lease(core, ctx, row, holder) : null;
  });
}
