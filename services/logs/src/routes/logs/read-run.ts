import { LOG_LIMITS, runLogsQuerySchema } from '@sparkwing/contracts';
import { readQuery } from '@sparkwing/telemetry';
import type { Context } from 'hono';
import { authorize } from '../../auth/authorize.js';
import type { LogsDeps } from '../../deps.js';
import { idParam } from '../params.js';

/** `GET /api/v1/logs/:runId?limit` — every node's records grouped by node (first `limit` per node). */
export function readRunLogs(deps: LogsDeps) {
  return async (c: Context) => {
    const runId = idParam(c, 'runId');
    authorize(await deps.auth.authenticate(c), 'logs.read');
    const query = readQuery(c, runLogsQuerySchema);
    return c.json(await deps.store.readRun(runId, query.limit ?? LOG_LIMITS.defaultReadLimit));
  };
}
