import { claimRequestSchema } from '@sparkwing/contracts';
import { readJson } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { requireScope } from '../../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../../deps.js';
import { BODY_LIMITS } from '../params.js';
import { answerClaim } from './claim-answer.js';

/**
 * POST /nodes/claim: the oldest ready node the runner's labels satisfy, long-polling up to `wait_ms`
 * (woken the moment a matching node becomes ready); 204 when nothing came.
 */
export function claimRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>().post('/nodes/claim', requireScope(deps, 'nodes.claim'), async (c) => {
    const body = await readJson(c, claimRequestSchema, BODY_LIMITS.small);
    const claimed = await answerClaim(deps, body, c.req.raw.signal);
    return claimed ? c.json(claimed) : c.body(null, 204);
  });
}
