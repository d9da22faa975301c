import { ApiError } from '@sparkwing/contracts';
import { Hono } from 'hono';
import { requireNodeToken } from '../../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../../deps.js';
import { idParam } from '../params.js';

/** GET /runs/{id}/secrets/{name} with a node token of that run whose lease is still held. */
export function runSecretRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>().get('/runs/:id/secrets/:name', requireNodeToken(deps, {}), (c) => {
    const runId = idParam(c, 'id');
    const name = idParam(c, 'name');
    const claims = c.get('auth').node!;
    deps.queue.requireLease(runId, claims.node_id, claims.attempt);
    const value = deps.secrets.reveal(name);
    if (value === null) throw new ApiError('not_found', `secret ${name} not found`);
    return c.json({ name, value });
  });
}
