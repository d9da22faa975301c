import { ApiError, runListQuerySchema } from '@sparkwing/contracts';
import { readQuery } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { requireScope, requireScopeOrOwnRun } from '../../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../../deps.js';
import { idParam } from '../params.js';

/** GET /runs (paginated, newest first) and GET /runs/{id} (run + nodes; a node token reads its own run). */
export function runReadRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>()
    .get('/runs', requireScope(deps, 'runs.read'), (c) => {
      const query = readQuery(c, runListQuerySchema);
      return c.json(deps.queue.listRuns(query));
    })
    .get('/runs/:id', requireScopeOrOwnRun(deps, 'runs.read'), (c) => {
      const runId = idParam(c, 'id');
      const detail = deps.queue.getRunDetail(runId);
      if (!detail) throw new ApiError('not_found', `run ${runId} not found`);
      return c.json(detail);
    });
}
