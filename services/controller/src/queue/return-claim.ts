import { and, eq } from 'drizzle-orm';
import { nodeAttempts, nodes } from '../db/schema.js';
import { CLAIM_UNDELIVERED } from '../metrics.js';
import type { QueueCore } from './core.js';

/**
 * Puts a node back in the queue when its claim answer never reached the runner (the long-poll client
 * went away): in the same step, not after the lease lapses. Only a claim still untouched by its holder
 * (status `claimed`, or `running` when the claim itself started it; same attempt and runner)
 * is returned; its attempt record is dropped and it keeps its
 * place in the queue (`ready_at` is unchanged). Returns whether the node went back.
 */
export function returnClaim(
  core: QueueCore,
  claim: {
    runId: string;
    nodeId: string;
    attempt: number;
    holder: string;
    /** The claim itself started the node (protocol 2 `start: true`): `running` is then still untouched. */
    startedByClaim?: boolean;
  },
): boolean {
  return core.write((ctx) => {
    const row = ctx.q.nodeByKey.get({ runId: claim.runId, nodeId: claim.nodeId });
    if (!row || row.attempt !== claim.attempt || row.runnerId !== claim.holder) return false;
    const untouched =
      row.status === 'claimed' ||
      (claim.startedByClaim === true && row.status === 'running' && row.startedAt === row.claimedAt);
    if (!untouched) return false;
    ctx.tx
      .update(nodes)
      .set({ status: 'ready', runnerId: null, claimedAt: null, startedAt: null, leaseExpiresAt: null })
      .where(and(eq(nodes.pk, row.pk), eq(nodes.status, row.status)))
      .run();
    ctx.tx
      .delete(nodeAttempts)
      .where(
        and(
          eq(nodeAttempts.runId, claim.runId),
          eq(nodeAttempts.nodeId, claim.nodeId),
          eq(nodeAttempts.attempt, claim.attempt),
        ),
      )
      .run();
    ctx.metrics.recoveries.inc({ kind: CLAIM_UNDELIVERED });
    ctx.events.ready.push({
      runId: row.runId,
      nodeId: row.nodeId,
      attempt: row.attempt,
      requires: row.requires,
    });
    return true;
  });
}
