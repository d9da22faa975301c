import { ApiError } from '@sparkwing/contracts';
import { Hono } from 'hono';
import { requireScope } from '../../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../../deps.js';
import { idParam } from '../params.js';

/** DELETE /runs/{id} [admin], POST /runs/{id}/cancel and /retry [runs.write]. */
export function runWriteRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>()
    .delete('/runs/:id', requireScope(deps, 'admin'), (c) => {
      const runId = idParam(c, 'id');
      if (!deps.queue.deleteRun(runId)) throw new ApiError('not_found', `run ${runId} not found`);
      return c.body(null, 204);
    })
    .post('/runs/:id/cancel', requireScope(deps, 'runs.write'), (c) => {
      const run = deps.queue.cancelRun(idParam(c, 'id'));
      return c.json({ run });
    })
    .post('/runs/:id/retry', requireScope(deps, 'runs.write'), (c) => {
      const result = deps.queue.retryRun(idParam(c, 'id'), c.get('auth').principal.name);
      return c.json({ run_id: result.runId }, 202);
    });
}
