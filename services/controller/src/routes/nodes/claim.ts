import { type ClaimResponse, claimRequestSchema } from '@sparkwing/contracts';
import { readJson } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { requireScope } from '../../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../../deps.js';
import { CLAIM_OUTCOMES, type ClaimOutcome } from '../../metrics.js';
import { BODY_LIMITS } from '../params.js';

/**
 * POST /nodes/claim: the oldest ready node the runner's labels satisfy, long-polling up to `wait_ms`
 * (woken the moment a matching node becomes ready); 204 when nothing came.
 */
export function claimRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>().post('/nodes/claim', requireScope(deps, 'nodes.claim'), async (c) => {
    const started = performance.now();
    let outcome: ClaimOutcome = CLAIM_OUTCOMES.error;
    try {
      const body = await readJson(c, claimRequestSchema, BODY_LIMITS.small);
      const filter = { runnerId: body.runner_id, labels: body.labels ?? [], runId: body.run_id };
      const claimed: ClaimResponse | null = await deps.queue.claimWait(
        filter,
        body.wait_ms ?? 0,
        c.req.raw.signal,
      );
      if (claimed && !deliverable(deps, c.req.raw.signal, claimed, body.runner_id)) {
        return c.body(null, 204);
      }
      outcome = claimed ? CLAIM_OUTCOMES.claimed : CLAIM_OUTCOMES.empty;
      return claimed ? c.json(claimed) : c.body(null, 204);
    } finally {
      deps.metrics.nodeClaims.inc({ outcome });
      deps.metrics.claimRequestDuration.observe({ outcome }, (performance.now() - started) / 1_000);
    }
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
