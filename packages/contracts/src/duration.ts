import parse from 'parse-duration';

// Number-unit pairs and nothing else: `30d`, `1m30s`, `1.5h`, `2 weeks`. parse-duration alone would
// skip words it does not know ("5m banana") and read a bare number as milliseconds.
const WHOLE = /^(?:\s*\d+(?:\.\d+)?\s*[a-zA-Zµ]+)+\s*$/;
const PAIR = /\d+(?:\.\d+)?\s*[a-zA-Zµ]+/g;
const HINT = 'use e.g. 500ms, 30s, 5m, 1h, 30d or 1m30s';

/**
 * The one duration parser (CLI flags, service config, pipeline timeouts): `500ms`, `30s`, `5m`, `1h`,
 * `30d`, `2w`, `1m30s` → milliseconds, via parse-duration. Throws on anything else. No zod here, so
 * pipeline processes can import it through `@sparkwing/contracts/duration` without the schemas.
 */
export function parseDuration(text: string): number {
  if (!WHOLE.test(text)) throw new Error(`invalid duration "${text}": ${HINT}`);
  for (const pair of text.match(PAIR) ?? []) {
    if (parse(pair) === null)
      throw new Error(`invalid duration "${text}": unknown unit in "${pair}"; ${HINT}`);
  }
  const ms = parse(text);
  if (ms === null || !Number.isFinite(ms)) throw new Error(`invalid duration "${text}": ${HINT}`);
  return Math.round(ms);
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

/** How long a run or node took, or has been going when not finished; null before it started. */
export function elapsedMs(
  span: { started_at: string | null; finished_at: string | null },
  now = Date.now(),
): number | null {
  if (!span.started_at) return null;
  const end = span.finished_at ? Date.parse(span.finished_at) : now;
  return end - Date.parse(span.started_at);
}
