const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const PART = /^(\d+(?:\.\d+)?)(ms|s|m|h)/;

/**
 * `500ms`, `30s`, `5m`, `1h30m` → milliseconds, with the same grammar as the contracts' `parseDuration`.
 * Kept here so a compiled pipeline does not pull the contracts' schemas (and zod) into every node process.
 */
export function durationMs(text: string): number {
  let rest = text.trim();
  if (rest.length === 0) throw new Error('invalid duration "": use e.g. 500ms, 30s, 5m, 1h');
  let total = 0;
  while (rest.length > 0) {
    const match = PART.exec(rest);
    if (!match) throw new Error(`invalid duration "${text}": use e.g. 500ms, 30s, 5m, 1h`);
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
    rest = rest.slice(match[0].length);
  }
  return Math.round(total);
}

/** The special first node of every run (contracts' PLAN_NODE_ID). */
export const PLAN_NODE = '_plan';
