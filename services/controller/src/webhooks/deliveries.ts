import type { GitSource } from '@sparkwing/contracts';
import { eq } from 'drizzle-orm';
import { webhookDeliveries } from '../db/schema.js';
import { insertRun } from '../queue/runs-ops.js';
import type { QueueService } from '../queue/service.js';
import type { Tx, TxContext } from '../queue/tx.js';

/** The stored record of a GitHub delivery id, if it was seen before (redeliveries create nothing). */
export function findDelivery(tx: Tx, deliveryId: string) {
  return tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.deliveryId, deliveryId)).get();
}

/** Remembers a delivery id in the transaction that acted on it. */
export function recordDelivery(
  ctx: TxContext,
  delivery: { id: string; event: string },
  runId: string | null,
): void {
  ctx.tx
    .insert(webhookDeliveries)
    .values({ deliveryId: delivery.id, event: delivery.event, runId, receivedAt: ctx.now })
    .run();
}

export interface DeliveryResult {
  runId: string;
  duplicate: boolean;
}

/** Creates the run and records the delivery id in one transaction, so a redelivery creates nothing. */
export function triggerFromDelivery(
  queue: QueueService,
  delivery: { id: string | null; event: string },
  pipeline: string,
  git: GitSource,
  actor: string | null,
): DeliveryResult {
  return queue.core.write((ctx) => {
    const seen = delivery.id ? findDelivery(ctx.tx, delivery.id) : undefined;
    if (seen?.runId) return { runId: seen.runId, duplicate: true };
    const { runId } = insertRun(ctx, {
      pipeline,
      git,
      trigger: { kind: 'webhook', event: delivery.event, actor },
    });
    if (delivery.id) recordDelivery(ctx, { id: delivery.id, event: delivery.event }, runId);
    return { runId, duplicate: false };
  });
}
