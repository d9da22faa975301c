import { ApiError, metricsBatchSchema } from '@sparkwing/contracts';
import { readJson } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { requireNodeToken, requireScopeOrOwnRun } from '../../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../../deps.js';
import { BODY_LIMITS, idParam } from '../params.js';

/** GET a node [runs.read, or a node token of its run]; POST (node token) and GET its CPU/memory samples. */
export function nodeReadRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>()
    .get('/runs/:id/nodes/:nodeID', requireScopeOrOwnRun(deps, 'runs.read'), (c) => {
      const runId = idParam(c, 'id');
      const nodeId = idParam(c, 'nodeID');
      const node = deps.queue.getNode(runId, nodeId);
      if (!node) throw new ApiError('not_found', `node ${nodeId} of run ${runId} not found`);
      return c.json(node);
    })
    .post('/runs/:id/nodes/:nodeID/metrics', requireNodeToken(deps), async (c) => {
      const body = await readJson(c, metricsBatchSchema, BODY_LIMITS.default);
      const claims = c.get('auth').node!;
      const stored = deps.queue.addMetrics(
        idParam(c, 'id'),
        idParam(c, 'nodeID'),
        claims.attempt,
        body.points,
      );
      return c.json({ stored });
    })
    .get('/runs/:id/nodes/:nodeID/metrics', requireScopeOrOwnRun(deps, 'runs.read'), (c) => {
      const runId = idParam(c, 'id');
      const nodeId = idParam(c, 'nodeID');
      if (!deps.queue.getNode(runId, nodeId))
        throw new ApiError('not_found', `node ${nodeId} of run ${runId} not found`);
      return c.json(deps.queue.getMetrics(runId, nodeId));
    });
}
