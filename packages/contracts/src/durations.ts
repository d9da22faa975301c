import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Parses `500ms`, `30s`, `5m`, `1h` (or a sequence such as `1m30s`) into milliseconds; throws on anything else. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  let rest = trimmed;
  let total = 0;
  const part = /^(\d+(?:\.\d+)?)(ms|s|m|h)/;
  while (rest.length > 0) {
    const match = part.exec(rest);
    if (!match) throw new Error(`invalid duration "${text}": use e.g. 500ms, 30s, 5m, 1h`);
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
    rest = rest.slice(match[0].length);
  }
  if (trimmed.length === 0) throw new Error('invalid duration "": use e.g. 500ms, 30s, 5m, 1h');
  return Math.round(total);
}

/** Formats milliseconds for humans: 850ms, 12.3s, 4m05s, 1h02m. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1_000);
  const hours = Math.floor(totalSeconds / 3_600);
  const minutes = Math.floor((totalSeconds % 3_600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m`;
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}

/** A zod field that accepts a duration string and yields milliseconds. */
export const durationSchema = z.string().transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

export { DURATION_RE };
