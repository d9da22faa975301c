import { ApiError, isSafeId } from '@sparkwing/contracts';
import { type Context, Hono } from 'hono';
import type { WebDeps } from '../deps.js';
import { UPSTREAMS, type UpstreamName } from '../metrics.js';
import { forward } from '../proxy/forward.js';
import { requireCsrf, requireViewer, type ViewerVariables } from '../session/viewer.js';

type Ctx = Context<{ Variables: ViewerVariables }>;

/**
 * The upstream routes the browser may reach, each registered by template so metrics and traces name it.
 * Everything else under `/api/v1` is not exposed (tokens, secrets, runner endpoints stay internal).
 */
export function proxyRoutes(deps: WebDeps) {
  const relay =
    (upstream: UpstreamName, mutates = false) =>
    async (c: Ctx) => {
      for (const value of Object.values(c.req.param() as Record<string, string>)) {
        if (!isSafeId(value)) throw new ApiError('bad_request', `"${value}" is not a valid id`);
      }
      const viewer = requireViewer(c);
      if (mutates) requireCsrf(c, viewer);
      return forward(c, deps, upstream, viewer);
    };
  const controller = relay(UPSTREAMS.controller);
  const logs = relay(UPSTREAMS.logs);
  return new Hono<{ Variables: ViewerVariables }>()
    .get('/api/v1/runs', controller)
    .get('/api/v1/runs/:id', controller)
    .get('/api/v1/runs/:id/nodes/:node', controller)
    .get('/api/v1/runs/:id/nodes/:node/metrics', controller)
    .post('/api/v1/runs/:id/cancel', relay(UPSTREAMS.controller, true))
    .post('/api/v1/runs/:id/retry', (c) => {
      // Locally nothing would pick the new run up: runs start from a terminal with `sparkwing run`.
      if (deps.mode === 'local')
        throw new ApiError('bad_request', 'retry locally by running `sparkwing run <pipeline>` again');
      return relay(UPSTREAMS.controller, true)(c);
    })
    .get('/api/v1/pipelines', controller)
    .get('/api/v1/runners', controller)
    .get('/api/v1/queue', controller)
    .get('/api/v1/logs/search', logs)
    .get('/api/v1/logs/:run', logs)
    .get('/api/v1/logs/:run/:node', logs)
    .get('/api/v1/logs/:run/:node/stream', logs);
}
