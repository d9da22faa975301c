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
      outcome = claimed ? CLAIM_OUTCOMES.claimed : CLAIM_OUTCOMES.empty;
      return claimed ? c.json(claimed) : c.body(null, 204);
    } finally {
      deps.metrics.nodeClaims.inc({ outcome });
      deps.metrics.claimRequestDuration.observe({ outcome }, (performance.now() - started) / 1_000);
    }
  });
}
