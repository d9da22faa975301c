import type { RunnerHeartbeatRequest } from '@sparkwing/contracts';
import { runners } from '../db/schema.js';
import type { QueueCore } from './core.js';

/** Records a runner's heartbeat (labels, version, capacity may change between heartbeats). */
export function recordRunnerHeartbeat(core: QueueCore, body: RunnerHeartbeatRequest): { lastSeen: number } {
  return core.write((ctx) => {
    const values = {
      labels: body.labels,
      version: body.version ?? null,
      capacity: body.capacity ?? null,
      lastSeen: ctx.now,
    };
    ctx.tx
      .insert(runners)
      .values({ runnerId: body.runner_id, firstSeen: ctx.now, ...values })
      .onConflictDoUpdate({ target: runners.runnerId, set: values })
      .run();
    return { lastSeen: ctx.now };
  });
}
