import { ApiError, type RunnerHeartbeatRequest } from '@sparkwing/contracts';
import { and, eq, inArray } from 'drizzle-orm';
import { nodes, runners } from '../db/schema.js';
import type { QueueCore } from './core.js';

/** Records a runner's heartbeat (labels, version, capacity may change between heartbeats). */
export function recordRunnerHeartbeat(core: QueueCore, body: RunnerHeartbeatRequest): { lastSeen: number } {
  return core.write((ctx) => {
    ctx.q.upsertRunner.run({
      runnerId: body.runner_id,
      labels: JSON.stringify(body.labels),
      version: body.version ?? null,
      capacity: body.capacity ?? null,
      now: ctx.now,
    });
    return { lastSeen: ctx.now };
  });
}

/**
 * Forgets a runner that is shutting down cleanly, so it is not listed as lost once its heartbeats stop.
 * 409 while it still holds claimed or running nodes; false when it was not known.
 */
export function removeRunner(core: QueueCore, runnerId: string): boolean {
  return core.write((ctx) => {
    const held = ctx.tx
      .select({ runId: nodes.runId, nodeId: nodes.nodeId })
      .from(nodes)
      .where(and(eq(nodes.runnerId, runnerId), inArray(nodes.status, ['claimed', 'running'])))
      .all();
    if (held.length > 0) {
      const list = held.map((n) => `${n.runId}/${n.nodeId}`).join(', ');
      throw new ApiError(
        'conflict',
        `runner "${runnerId}" still holds ${list}; finish or release them first`,
      );
    }
    return ctx.tx.delete(runners).where(eq(runners.runnerId, runnerId)).run().changes > 0;
  });
}
