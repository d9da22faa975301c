import type { Context } from 'hono';
import { authorize } from '../../auth/authorize.js';
import type { LogsDeps } from '../../deps.js';
import { idParam } from '../params.js';

/** `DELETE /api/v1/logs/:runId` — 204 whether or not the run had logs. */
export function deleteRunLogs(deps: LogsDeps) {
  return async (c: Context) => {
    const runId = idParam(c, 'runId');
    authorize(await deps.auth.authenticate(c), 'logs.write');
    await deps.store.deleteRun(runId);
    return c.body(null, 204);
  };
}
