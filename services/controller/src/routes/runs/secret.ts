import { ApiError } from '@sparkwing/contracts';
import { Hono } from 'hono';
import { requireNodeToken } from '../../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../../deps.js';
import { secretRefusal } from '../../secret-policy.js';
import { idParam } from '../params.js';

/**
 * GET /runs/{id}/secrets/{name} with a node token of that run, while its node executes (not finished, not
 * being cancelled), for secrets whose scope admits the run's pipeline and branch; fork runs get none
 * unless their pipeline is opted in.
 */
export function runSecretRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>().get('/runs/:id/secrets/:name', requireNodeToken(deps, {}), (c) => {
    const runId = idParam(c, 'id');
    const name = idParam(c, 'name');
    const claims = c.get('auth').node!;
    deps.queue.requireLiveLease(runId, claims.node_id, claims.attempt);
    const run = deps.queue.getRun(runId);
    const scope = deps.secrets.scope(name);
    if (!run || !scope) throw new ApiError('not_found', `secret ${name} not found`);
    const refusal = secretRefusal(name, scope, run, deps.forkSecrets);
    if (refusal) throw new ApiError('forbidden', refusal);
    const value = deps.secrets.reveal(name);
    if (value === null) throw new ApiError('not_found', `secret ${name} not found`);
    return c.json({ name, value });
  });
}
