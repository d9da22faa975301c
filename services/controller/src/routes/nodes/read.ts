import { ApiError, metricsBatchSchema } from '@sparkwing/contracts';
import { readJson } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { requireNodeToken, requireScope } from '../../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../../deps.js';
import { BODY_LIMITS, idParam } from '../params.js';

/** GET a node [runs.read]; POST (node token) and GET [runs.read] its CPU/memory samples. */
export function nodeReadRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>()
    .get('/runs/:id/nodes/:nodeID', requireScope(deps, 'runs.read'), (c) => {
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
    .get('/runs/:id/nodes/:nodeID/metrics', requireScope(deps, 'runs.read'), (c) => {
      const runId = idParam(c, 'id');
      const nodeId = idParam(c, 'nodeID');
      if (!deps.queue.getNode(runId, nodeId))
        throw new ApiError('not_found', `node ${nodeId} of run ${runId} not found`);
      return c.json(deps.queue.getMetrics(runId, nodeId));
    });
}
