import { ApiError, isSafeId } from '@sparkwing/contracts';
import type { Context } from 'hono';

/** A validated id path parameter: 400 for anything that could escape the data dir. */
export function idParam(c: Context, name: string): string {
  const value = c.req.param(name) ?? '';
  if (!isSafeId(value)) {
    throw new ApiError(
      'validation_failed',
      `invalid ${name}: must be 1-128 characters of letters, digits, ".", "_" or "-", not starting with "." and without ".."`,
    );
  }
  if (name === 'runId' && RESERVED_RUN_IDS.has(value))
    throw new ApiError('validation_failed', `"${value}" names a route, not a run`);
  return value;
}

/** Path words that sit where a run id does (`/logs/search`): never taken for one, whatever the method. */
const RESERVED_RUN_IDS = new Set(['search']);
