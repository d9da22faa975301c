import { type ClaimResponse, labelsSatisfy } from '@sparkwing/contracts';
import type { QueueCore } from './core.js';
import { iso, toNode, toRun } from './mappers.js';
import { recordClaimSpan } from './spans.js';
import type { TxContext } from './tx.js';

export interface ClaimFilter {
  runnerId: string;
  labels: readonly string[];
  /** Restricts the claim to one run (local mode). */
  runId?: string;
  /** Protocol 2: the claimed node is started in the same transaction (answered `running`). */
  start?: boolean;
}

/** Distinct `requires` of all ready nodes, walked key by key along the index. */
function distinctReadyKeys(ctx: TxContext): string[] {
  const keys: string[] = [];
  for (
    let next = ctx.q.nextReadyKey.get({ after: '' });
    next;
    next = ctx.q.nextReadyKey.get({ after: next.key })
  ) {
    keys.push(next.key);
  }
  return keys;
}

/**
 * Leases the ready node `pk` to `holder` inside the transaction and builds the claim answer. With `start`,
 * the node goes straight to `running` (what a separate start call would do, minus the round trip).
 */
function lease(
  core: QueueCore,
  ctx: TxContext,
  pk: number,
  holder: string,
  start = false,
): ClaimResponse | null {
  const { q, now } = ctx;
  const row = q.nodeByPk.get({ pk });
  if (!row) return null;
  const expiresAt = now + core.settings.leaseMs;
  const status = start ? 'running' : 'claimed';
  const startedAt = start ? now : null;
  if (q.leaseNode.run({ pk, holder, now, expiresAt, status, startedAt }).changes === 0) return null;
  q.insertAttempt.run({
    runId: row.runId,
    nodeId: row.nodeId,
    attempt: row.attempt,
    holder,
    now,
    status,
    startedAt,
  });
  q.startRun.run({ id: row.runId, now });
  const run = q.runById.get({ id: row.runId })!;
  // The row as leaseNode left it, without reading it back.
  const claimed = {
    ...row,
    status,
    runnerId: holder,
    claimedAt: now,
    startedAt,
    leaseExpiresAt: expiresAt,
    statusDetail: null,
  } as const;
  const attempts = q.attemptsOf.all({ runId: row.runId, nodeId: row.nodeId });
  core.metrics.nodesClaimed.inc();
  if (row.readyAt !== null) {
    const waited = Math.max(0, now - row.readyAt) / 1_000;
    core.metrics.queueWait.observe(waited);
    if (start) core.metrics.queueToRunning.observe(waited);
  }
  recordClaimSpan(
    { runId: row.runId, pipeline: run.pipeline, nodeId: row.nodeId, attempt: row.attempt, holder },
    row.readyAt,
    now,
  );
  return {
    run: toRun(run),
    node: toNode(claimed, attempts),
    lease: {
      token: core.nodeToken(row.runId, row.nodeId, row.attempt, expiresAt),
      expires_at: iso(expiresAt)!,
    },
  };
}

/**
 * Claims the oldest ready node whose `requires` the labels satisfy. Ready nodes are grouped by their
 * serialised `requires`, so the label check runs once per distinct requirement set, not once per node,
 * and each group's oldest node comes straight from the (status, requires_key, ready_at) index.
 */
export function claimNext(core: QueueCore, filter: ClaimFilter): ClaimResponse | null {
  return core.write((ctx) => {
    const { q } = ctx;
    const all = filter.runId
      ? q.readyKeysOfRun.all({ runId: filter.runId }).map((k) => k.key)
      : distinctReadyKeys(ctx);
    const keys = all.filter((key) => labelsSatisfy(JSON.parse(key) as string[], filter.labels));
    let best: { pk: number; readyAt: number | null } | undefined;
    for (const key of keys) {
      const candidate = filter.runId
        ? q.oldestReadyOfRun.get({ key, runId: filter.runId })
        : q.oldestReady.get({ key });
      if (!candidate) continue;
      if (
        !best ||
        (candidate.readyAt ?? 0) < (best.readyAt ?? 0) ||
        (candidate.readyAt === best.readyAt && candidate.pk < best.pk)
      ) {
        best = candidate;
      }
    }
    return best ? lease(core, ctx, best.pk, filter.runnerId, filter.start) : null;
  });
}

/** Claims one specific ready node for `holder` (the Kubernetes dispatcher); null if it is no longer ready. */
export function claimNode(
  core: QueueCore,
  runId: string,
  nodeId: string,
  holder: string,
): ClaimResponse | null {
  return core.write((ctx) => {
    const row = ctx.q.nodeByKey.get({ runId, nodeId });
    return row && row.status === 'ready' ? lease(core, ctx, row.pk, holder) : null;
  });
}
