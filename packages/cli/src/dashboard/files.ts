import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_DASHBOARD_PORT = 4343;
export const DASHBOARD_HOST = '127.0.0.1';

/** What a running local dashboard records about itself under `$SPARKWING_HOME`. */
export interface DashboardRecord {
  pid: number;
  host: string;
  port: number;
  url: string;
  home: string;
  started_at: string;
}

export function dashboardPaths(home: string) {
  return { pidFile: join(home, 'dashboard.pid'), logFile: join(home, 'dashboard.log') };
}

export async function readRecord(home: string): Promise<DashboardRecord | null> {
  try {
    const parsed = JSON.parse(
      await readFile(dashboardPaths(home).pidFile, 'utf8'),
    ) as Partial<DashboardRecord>;
    if (typeof parsed.pid !== 'number' || typeof parsed.port !== 'number') return null;
    return parsed as DashboardRecord;
  } catch {
    return null;
  }
}

/** Written by rename so a reader never sees half a file. */
export async function writeRecord(home: string, record: DashboardRecord): Promise<void> {
  const { pidFile } = dashboardPaths(home);
  const tmp = `${pidFile}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  await rename(tmp, pidFile);
}

/** Removes the pid file only if it still names `pid` (a replacement may already have written its own). */
export async function removeRecord(home: string, pid: number): Promise<void> {
  const current = await readRecord(home);
  if (current && current.pid !== pid) return;
  await rm(dashboardPaths(home).pidFile, { force: true });
}
