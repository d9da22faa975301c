import { Cron } from 'croner';

/** One `schedule:` entry: standard 5-field cron, optionally prefixed `TZ=<IANA zone> `; UTC otherwise. */
export interface ScheduleEntry {
  /** The entry as written (the key its next-fire time is stored under). */
  source: string;
  cron: string;
  timezone: string;
}

const TZ_RE = /^TZ=(\S+)\s+(.+)$/;

/** Parses and validates an entry; throws an Error whose message says what is wrong. */
export function parseScheduleEntry(source: string): ScheduleEntry {
  const text = source.trim();
  const match = TZ_RE.exec(text);
  const timezone = match ? match[1]! : 'UTC';
  const cron = (match ? match[2]! : text).trim().replace(/\s+/g, ' ');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new Error(`unknown time zone "${timezone}" (use an IANA name such as Europe/Berlin)`);
  }
  if (cron.split(' ').length !== 5)
    throw new Error(`"${cron}" must have 5 fields: minute hour day-of-month month day-of-week`);
  try {
    new Cron(cron, { timezone, paused: true, mode: '5-part' });
  } catch (error) {
    throw new Error(`invalid cron "${cron}": ${(error as Error).message.replace(/^CronPattern: /, '')}`);
  }
  return { source, cron, timezone };
}

/** The first fire time strictly after `afterMs`, or null when the expression never fires again. */
export function nextFireAfter(entry: ScheduleEntry, afterMs: number): number | null {
  const cron = new Cron(entry.cron, { timezone: entry.timezone, paused: true, mode: '5-part' });
  return cron.nextRun(new Date(afterMs))?.getTime() ?? null;
}
