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

/**
 * A claim must reach its runner or go back to the queue in the same step: if the long-poll client has
 * already gone, return it now; if the connection closes before the answer is fully written (the server
 * aborts the request signal then), return it from the abort.
 */
function deliverable(deps: ControllerDeps, signal: AbortSignal, claimed: ClaimResponse, holder: string) {
  const claim = { runId: claimed.run.id, nodeId: claimed.node.id, attempt: claimed.node.attempt, holder };
  if (signal.aborted) {
    deps.queue.returnClaim(claim);
    return false;
  }
  signal.addEventListener('abort', () => deps.queue.returnClaim(claim), { once: true });
  return true;
}
