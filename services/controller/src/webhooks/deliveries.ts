import type { GitSource } from '@sparkwing/contracts';
import { eq } from 'drizzle-orm';
import { webhookDeliveries } from '../db/schema.js';
import { insertRun } from '../queue/runs-ops.js';
import type { QueueService } from '../queue/service.js';

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
    if (delivery.id) {
      const seen = ctx.tx
        .select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.deliveryId, delivery.id))
        .get();
      if (seen?.runId) return { runId: seen.runId, duplicate: true };
    }
    const { runId } = insertRun(ctx, {
      pipeline,
      git,
      trigger: { kind: 'webhook', event: delivery.event, actor },
    });
    if (delivery.id) {
      ctx.tx
        .insert(webhookDeliveries)
        .values({ deliveryId: delivery.id, event: delivery.event, runId, receivedAt: ctx.now })
        .run();
    }
    return { runId, duplicate: false };
  });
}
