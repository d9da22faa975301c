import { and, eq, inArray } from 'drizzle-orm';
import { commitStatuses, runs, webhookDeliveries } from '../db/schema.js';
import { insertRun, requestCancel, type TriggerInput } from '../queue/runs-ops.js';
import type { QueueService } from '../queue/service.js';
import type { TxContext } from '../queue/tx.js';
import type { DeliveryPlan } from './plan-delivery.js';

export interface AppliedDelivery {
  runIds: string[];
  cancelled: string[];
  duplicate: boolean;
}

/** Run ids a delivery already created, or null when it is new. */
export function seenDelivery(queue: QueueService, deliveryId: string): string[] | null {
  const seen = queue.core.db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.deliveryId, deliveryId))
    .get();
  if (!seen) return null;
  return queue.core.db
    .select({ id: runs.id })
    .from(runs)
    .where(eq(runs.deliveryId, deliveryId))
    .all()
    .map((r) => r.id);
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
    if (delivery.id) {
      const seen = ctx.tx
        .select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.deliveryId, delivery.id))
        .get();
      if (seen) {
        const ids = ctx.tx.select({ id: runs.id }).from(runs).where(eq(runs.deliveryId, delivery.id)).all();
        return { runIds: ids.map((r) => r.id), cancelled: [], duplicate: true };
      }
    }
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
    if (delivery.id) {
      ctx.tx
        .insert(webhookDeliveries)
        .values({
          deliveryId: delivery.id,
          event: delivery.event,
          runId: runIds[0] ?? null,
          receivedAt: ctx.now,
        })
        .run();
    }
    return { runIds, cancelled, duplicate: false };
  });
}
