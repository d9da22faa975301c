import {
  ApiError,
  CLAIM_TOKEN_HEADER,
  type ClaimRequest,
  type ClaimResponse,
  hasScope,
} from '@sparkwing/contracts';
import type { Context } from 'hono';
import { resolveBearer } from '../../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../../deps.js';
import { CLAIM_OUTCOMES, type ClaimOutcome } from '../../metrics.js';

/**
 * Answers one claim, whether it came alone (`POST /nodes/claim`) or chained on a finish (`next`): long-polls
 * up to `wait_ms` (woken the moment a matching node becomes ready, or released when the client goes away)
 * and counts it in the claim metrics. Every claim goes through here.
 */
export async function answerClaim(
  deps: ControllerDeps,
  request: ClaimRequest,
  signal: AbortSignal,
): Promise<ClaimResponse | null> {
  const started = performance.now();
  let outcome: ClaimOutcome = CLAIM_OUTCOMES.error;
  try {
    const filter = {
      runnerId: request.runner_id,
      labels: request.labels ?? [],
      runId: request.run_id,
      start: request.start,
    };
    const claimed = await deps.queue.claimWait(filter, request.wait_ms ?? 0, signal);
    if (claimed && !deliverable(deps, signal, claimed, request.runner_id)) {
      outcome = CLAIM_OUTCOMES.empty;
      return null;
    }
    outcome = claimed ? CLAIM_OUTCOMES.claimed : CLAIM_OUTCOMES.empty;
    return claimed;
  } finally {
    deps.metrics.nodeClaims.inc({ outcome });
    deps.metrics.claimRequestDuration.observe({ outcome }, (performance.now() - started) / 1_000);
  }
}

/**
 * A claim must reach its runner or go back to the queue in the same step: if the long-poll client has
 * already gone, return it now; if the connection closes before the answer is fully written (the server
 * aborts the request signal then), return it from the abort.
 */
function deliverable(deps: ControllerDeps, signal: AbortSignal, claimed: ClaimResponse, holder: string) {
  const claim = {
    runId: claimed.run.id,
    nodeId: claimed.node.id,
    attempt: claimed.node.attempt,
    holder,
    startedByClaim: claimed.node.status === 'running',
  };
  if (signal.aborted) {
    deps.queue.returnClaim(claim);
    return false;
  }
  signal.addEventListener('abort', () => deps.queue.returnClaim(claim), { once: true });
  return true;
}

/**
 * A finish that also claims is authenticated twice: the bearer (node token) for the result, and the runner
 * token in `X-Sparkwing-Claim-Token` for the claim, so a node token alone can never claim work.
 */
export function requireClaimToken(deps: ControllerDeps, c: Context<AppEnv>): void {
  const token = c.req.header(CLAIM_TOKEN_HEADER);
  if (!token) {
    throw new ApiError(
      'unauthorized',
      `a finish with "next" needs the runner token in ${CLAIM_TOKEN_HEADER}`,
    );
  }
  const auth = resolveBearer(deps, token);
  if (auth.node || !hasScope(auth.scopes, 'nodes.claim')) {
    const has = auth.node ? 'a node token' : auth.scopes.join(', ') || 'none';
    throw new ApiError('forbidden', `${CLAIM_TOKEN_HEADER}: missing scope nodes.claim (token has: ${has})`);
  }
}
