import { ApiError, isSafeId } from '@sparkwing/contracts';
import type { Context } from 'hono';

/** A path parameter that must be a safe id (no `/`, `..`, NUL); 400 otherwise. */
export function idParam(c: Context, name: string): string {
  const value = c.req.param(name);
  if (value === undefined || !isSafeId(value)) {
    throw new ApiError(
      'validation_failed',
      `invalid path parameter ${name}: must be 1-128 characters of letters, digits, ".", "_" or "-"`,
    );
  }
  return value;
}

/** Body limits by route family. */
export const BODY_LIMITS = {
  small: 64 * 1024,
  default: 1024 * 1024,
  plan: 4 * 1024 * 1024,
} as const;
