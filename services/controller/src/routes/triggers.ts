import { ApiError, triggerRequestSchema } from '@sparkwing/contracts';
import { readJson } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { requireScope } from '../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../deps.js';
import { BODY_LIMITS } from './params.js';

/** POST /triggers: a queued run holding one ready `_plan` node; idempotent per pipeline and key. */
export function triggerRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>().post('/triggers', requireScope(deps, 'runs.write'), async (c) => {
    const body = await readJson(c, triggerRequestSchema, BODY_LIMITS.default);
    if (body.local_path && !deps.allowLocalPath) {
      throw new ApiError(
        'validation_failed',
        'local_path is only accepted by a local-mode controller; upload the code (upload_ref) or give git instead',
      );
    }
    const auth = c.get('auth');
    // In local mode every trigger uses the generated admin token; the run belongs to the user who ran it.
    const actor = body.local_path && deps.localActor ? deps.localActor : auth.principal.name;
    const result = deps.queue.trigger({
      pipeline: body.pipeline,
      args: body.args,
      git: body.git,
      uploadRef: body.upload_ref,
      localPath: body.local_path,
      idempotencyKey: body.idempotency_key,
      trigger: { kind: body.local_path ? 'local' : 'api', event: null, actor },
    });
    return c.json({ run_id: result.runId }, 202);
  });
}
