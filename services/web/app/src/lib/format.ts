import { elapsedMs, formatDuration as formatMs } from '@sparkwing/contracts';

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'medium' });

export function relativeTime(iso: string, now = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  if (Math.abs(diff) < 5_000) return 'just now';
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) return relative.format(Math.round(diff / ms), unit);
  }
  return 'just now';
}

export function absoluteTime(iso: string): string {
  return absolute.format(new Date(iso));
}

/** The CLI's format (850ms, 1.5s, 4m05s, 1h02m), or a dash when there is nothing to measure. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  return formatMs(ms);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function formatCpu(millicores: number): string {
  return millicores >= 1_000 ? `${(millicores / 1_000).toFixed(2)} cores` : `${Math.round(millicores)}m`;
}

export function shortSha(sha: string | undefined): string {
  return sha ? sha.slice(0, 7) : '';
}

/** A finished run's duration, or how long a started one has been going. */
export function runElapsed(
  run: { duration_ms: number | null; started_at: string | null },
  now = Date.now(),
): number | null {
  if (run.duration_ms !== null) return run.duration_ms;
  return elapsedMs({ started_at: run.started_at, finished_at: null }, now);
}
