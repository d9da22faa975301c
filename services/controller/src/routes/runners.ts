import { ApiError, runnerHeartbeatRequestSchema } from '@sparkwing/contracts';
import { readJson } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { requireScope } from '../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../deps.js';
import { iso } from '../queue/mappers.js';
import { BODY_LIMITS } from './params.js';

/** Runner liveness (every ~5 s), clean sign-off, the runner list, the queue view and per-pipeline summaries. */
export function runnerRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>()
    .post('/runners/heartbeat', requireScope(deps, 'nodes.claim'), async (c) => {
      const body = await readJson(c, runnerHeartbeatRequestSchema, BODY_LIMITS.small);
      const { lastSeen } = deps.queue.recordRunnerHeartbeat(body);
      return c.json({ runner_id: body.runner_id, last_seen: iso(lastSeen)! });
    })
    .delete('/runners/:runner_id', requireScope(deps, 'nodes.claim'), (c) => {
      const runnerId = runnerHeartbeatRequestSchema.shape.runner_id.safeParse(c.req.param('runner_id'));
      if (!runnerId.success) throw new ApiError('validation_failed', 'invalid runner_id: 1-200 characters');
      return c.json({ runner_id: runnerId.data, removed: deps.queue.removeRunner(runnerId.data) });
    })
    .get('/runners', requireScope(deps, 'runs.read'), (c) => c.json({ runners: deps.queue.listRunners() }))
    .get('/queue', requireScope(deps, 'runs.read'), (c) => c.json(deps.queue.queue()))
    .get('/pipelines', requireScope(deps, 'runs.read'), (c) =>
      c.json({ pipelines: deps.queue.listPipelines() }),
    );
}
