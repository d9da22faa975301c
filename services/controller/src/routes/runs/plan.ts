import { ApiError, PLAN_NODE_ID, planRequestSchema } from '@sparkwing/contracts';
import { readJson } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { requireNodeToken } from '../../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../../deps.js';
import { validatePlan } from '../../queue/plan.js';
import { BODY_LIMITS, idParam } from '../params.js';

/** POST /runs/{id}/plan with the `_plan` node's token: the DAG; root nodes become ready. */
export function planRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>().post(
    '/runs/:id/plan',
    requireNodeToken(deps, { node: PLAN_NODE_ID }),
    async (c) => {
      const runId = idParam(c, 'id');
      const body = await readJson(c, planRequestSchema, BODY_LIMITS.plan);
      validatePlan(body.nodes);
      const claims = c.get('auth').node!;
      deps.queue.postPlan(runId, claims.attempt, body.nodes);
      const detail = deps.queue.getRunDetail(runId);
      if (!detail) throw new ApiError('not_found', `run ${runId} not found`);
      return c.json(detail);
    },
  );
}
