import { z } from 'zod';

/** A comma-separated environment variable as a list of trimmed, non-empty entries (`[]` when unset). */
export const listSetting = () =>
  z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    );

/**
 * An environment variable holding a JSON array (tolerations, PVC pools): `[]` when unset, a custom issue
 * naming what was expected when it is not JSON, then validated with `item`.
 */
export function jsonArraySetting<T extends z.ZodType>(item: T, expected: string) {
  return z
    .string()
    .default('[]')
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be a JSON array of ${expected}` });
        return z.NEVER;
      }
    })
    .pipe(z.array(item));
}
