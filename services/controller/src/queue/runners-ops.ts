import type { RunnerHeartbeatRequest } from '@sparkwing/contracts';
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
