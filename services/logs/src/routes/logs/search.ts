import { ApiError, isSafeId, LOG_LIMITS, logSearchQuerySchema } from '@sparkwing/contracts';
import { readQuery } from '@sparkwing/telemetry';
import type { Context } from 'hono';
import { authorize } from '../../auth/authorize.js';
import type { LogsDeps } from '../../deps.js';

/** `GET /api/v1/logs/search?q&run_id&limit&cursor` — newest runs first, bounded work, cursor to go on. */
export function searchLogsRoute(deps: LogsDeps) {
  return async (c: Context) => {
    authorize(await deps.auth.authenticate(c), 'logs.read');
    const query = readQuery(c, logSearchQuerySchema);
    if (query.run_id !== undefined && !isSafeId(query.run_id)) {
      throw new ApiError('validation_failed', 'invalid query: run_id: not a valid id');
    }
    return c.json(
      await deps.store.search({
        q: query.q,
        runId: query.run_id,
        limit: query.limit ?? LOG_LIMITS.defaultSearchLimit,
        cursor: query.cursor,
      }),
    );
  };
}
