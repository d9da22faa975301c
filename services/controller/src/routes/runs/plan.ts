import { ApiError, PLAN_NODE_ID, planRequestSchema } from '@sparkwing/contracts';
import { parseWith, readJson } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { z } from 'zod';
import { requireNodeToken } from '../../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../../deps.js';
import { validatePlan } from '../../queue/plan.js';
import { BODY_LIMITS, idParam } from '../params.js';

/** Just enough shape to name a reserved id before the strict schema (whose id rule would not name it). */
const looseNodes = z.object({ nodes: z.array(z.object({ id: z.unknown() }).loose()) }).loose();

/**
 * POST /runs/{id}/plan with the `_plan` node's token: the DAG and the digest of the compiled pipeline (the
 * only one its jobs execute; no other token can set it); root nodes become ready.
 */
export function planRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>().post(
    '/runs/:id/plan',
    requireNodeToken(deps, { node: PLAN_NODE_ID }),
    async (c) => {
      const runId = idParam(c, 'id');
      const raw = await readJson(c, z.unknown(), BODY_LIMITS.plan);
      const loose = looseNodes.safeParse(raw);
      if (loose.success && loose.data.nodes.some((n) => n.id === PLAN_NODE_ID)) {
        throw new ApiError(
          'validation_failed',
          `invalid plan: "${PLAN_NODE_ID}" is reserved for the planning node`,
        );
      }
      const body = parseWith(planRequestSchema, raw, 'body');
      validatePlan(body.nodes);
      deps.queue.postPlan(runId, c.get('auth').node!.attempt, body.nodes, body.bundle_digest);
      const detail = deps.queue.getRunDetail(runId);
      if (!detail) throw new ApiError('not_found', `run ${runId} not found`);
      return c.json(detail);
    },
  );
}
