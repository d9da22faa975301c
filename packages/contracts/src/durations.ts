import { z } from 'zod';
import { parseDuration } from './duration.js';

export { elapsedMs, formatDuration, parseDuration } from './duration.js';

/** A zod field that accepts a duration string and yields milliseconds. */
export const durationSchema = z.string().transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

/** A duration setting in a service's env schema: `fallback` when unset, milliseconds after parsing. */
export const durationSetting = (fallback: string) => z.string().default(fallback).pipe(durationSchema);
