import {
  nodeFinishRequestSchema,
  nodeHeartbeatRequestSchema,
  nodeStartRequestSchema,
} from '@sparkwing/contracts';
import { readJson } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { requireNodeToken } from '../../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../../deps.js';
import { iso } from '../../queue/mappers.js';
import { BODY_LIMITS, idParam } from '../params.js';
import { answerClaim, requireClaimToken } from './claim-answer.js';

const NODE_PATH = '/runs/:id/nodes/:nodeID';

/**
 * start / heartbeat / finish with the node token; a token whose lease was reclaimed gets 409 lease_lost.
 * A finish with `next` (protocol 2) also claims the runner's next node, long-polling like a claim.
 */
export function nodeLifecycleRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>()
    .post(`${NODE_PATH}/start`, requireNodeToken(deps), async (c) => {
      const body = await readJson(c, nodeStartRequestSchema, BODY_LIMITS.small);
      const claims = c.get('auth').node!;
      return c.json(
        deps.queue.startNode(idParam(c, 'id'), idParam(c, 'nodeID'), claims.attempt, body.runner_id),
      );
    })
    .post(`${NODE_PATH}/heartbeat`, requireNodeToken(deps), async (c) => {
      const body = await readJson(c, nodeHeartbeatRequestSchema, BODY_LIMITS.small);
      const claims = c.get('auth').node!;
      const beat = deps.queue.heartbeatNode(
        idParam(c, 'id'),
        idParam(c, 'nodeID'),
        claims.attempt,
        body.status_detail,
      );
      return c.json({
        lease_expires_at: iso(beat.leaseExpiresAt)!,
        cancel_requested: beat.cancelRequested,
        token: beat.token,
      });
    })
    .post(`${NODE_PATH}/finish`, requireNodeToken(deps), async (c) => {
      const { next, ...result } = await readJson(c, nodeFinishRequestSchema, BODY_LIMITS.default);
      const claims = c.get('auth').node!;
      // Checked before the result is written, so a bad claim credential changes nothing.
      if (next) requireClaimToken(deps, c);
      const node = deps.queue.finishNode(idParam(c, 'id'), idParam(c, 'nodeID'), claims.attempt, result);
      if (!next) return c.json(node);
      return c.json({ ...node, next_claim: await answerClaim(deps, next, c.req.raw.signal) });
    });
}
