import { and, eq, inArray } from 'drizzle-orm';
import { commitStatuses, runs } from '../db/schema.js';
import { insertRun, requestCancel, type TriggerInput } from '../queue/runs-ops.js';
import type { QueueService } from '../queue/service.js';
import type { Tx, TxContext } from '../queue/tx.js';
import { findDelivery, recordDelivery } from '../webhooks/deliveries.js';
import type { DeliveryPlan } from './plan-delivery.js';

export interface AppliedDelivery {
  runIds: string[];
  cancelled: string[];
  duplicate: boolean;
}

/** Run ids a delivery already created, or null when it is new. */
function deliveryRunIds(tx: Tx, deliveryId: string): string[] | null {
  if (!findDelivery(tx, deliveryId)) return null;
  return tx
    .select({ id: runs.id })
    .from(runs)
    .where(eq(runs.deliveryId, deliveryId))
    .all()
    .map((r) => r.id);
}

/** Run ids a delivery already created, or null when it is new (checked before any repository work). */
export function seenDelivery(queue: QueueService, deliveryId: string): string[] | null {
  return deliveryRunIds(queue.core.db, deliveryId);
}

/** Queues a pending commit status for a run that came from GitHub with a sha (the reporter posts it). */
export function queueCommitStatus(ctx: TxContext, runId: string, input: TriggerInput): void {
  const repo = input.trigger.repo;
  const sha = input.trigger.sha;
  if (!repo || !sha) return;
  ctx.tx
    .insert(commitStatuses)
    .values({ runId, repo, sha, pipeline: input.pipeline, nextAttemptAt: ctx.now })
    .run();
}

/**
 * One transaction: the delivery id (a redelivery creates nothing), the cancellations of a closed PR,
 * the runs and their pending commit statuses.
 */
export function applyDelivery(
  queue: QueueService,
  delivery: { id: string | null; event: string },
  plan: DeliveryPlan,
  reportStatuses: boolean,
): AppliedDelivery {
  return queue.core.write((ctx) => {
    const seen = delivery.id ? deliveryRunIds(ctx.tx, delivery.id) : null;
    if (seen) return { runIds: seen, cancelled: [], duplicate: true };
    const cancelled: string[] = [];
    if (plan.cancelPullRequest) {
      const active = ctx.tx
        .select({ id: runs.id })
        .from(runs)
        .where(
          and(
            eq(runs.triggerRepo, plan.cancelPullRequest.repo),
            eq(runs.triggerPr, plan.cancelPullRequest.number),
            inArray(runs.status, ['queued', 'running']),
          ),
        )
        .all();
      for (const run of active) {
        requestCancel(ctx, run.id);
        cancelled.push(run.id);
      }
    }
    const runIds: string[] = [];
    for (const input of plan.runs) {
      const { runId } = insertRun(ctx, { ...input, deliveryId: delivery.id });
      runIds.push(runId);
      if (reportStatuses) queueCommitStatus(ctx, runId, input);
    }
    if (delivery.id) recordDelivery(ctx, { id: delivery.id, event: delivery.event }, runIds[0] ?? null);
    return { runIds, cancelled, duplicate: false };
  });
}
