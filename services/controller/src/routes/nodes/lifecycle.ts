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

const NODE_PATH = '/runs/:id/nodes/:nodeID';

/** start / heartbeat / finish with the node token; a token whose lease was reclaimed gets 409 lease_lost. */
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
      const body = await readJson(c, nodeFinishRequestSchema, BODY_LIMITS.default);
      const claims = c.get('auth').node!;
      return c.json(deps.queue.finishNode(idParam(c, 'id'), idParam(c, 'nodeID'), claims.attempt, body));
    });
}
