import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControllerClient, type FetchLike } from '@sparkwing/client';
import { readRecord } from '../dashboard/files.js';
import { isAlive } from '../dashboard/process.js';
import { nodeHttpFetch } from './http-fetch.js';

/** Where the local dashboard mounts the controller and logs APIs for other `sparkwing` processes. */
export const DASHBOARD_CONTROLLER_PATH = '/_local/controller';
export const DASHBOARD_LOGS_PATH = '/_local/logs';

/** The local store as a command sees it: through the running dashboard, or opened in this process. */
export interface LocalConnection {
  controller: ControllerClient;
  /** Base URL and fetch for LogShipper / LogsClient. */
  logsUrl: string;
  logsFetch: FetchLike;
  adminToken: string;
  /** `dashboard <url>` or `in-process`, for messages and benchmarks. */
  via: string;
  close(): Promise<void>;
}

/**
 * The running dashboard of `home`, when one answers: it owns the store already, so a command that goes
 * through it over 127.0.0.1 skips loading the controller, opening SQLite and the migrations check.
 */
export async function dashboardConnection(home: string): Promise<LocalConnection | null> {
  const record = await readRecord(home);
  if (!record || record.home !== home || !isAlive(record.pid)) return null;
  let adminToken: string;
  try {
    adminToken = readFileSync(join(home, 'admin-token'), 'utf8').trim();
  } catch {
    return null;
  }
  const fetch: FetchLike = nodeHttpFetch();
  const controller = new ControllerClient({
    baseUrl: `${record.url}${DASHBOARD_CONTROLLER_PATH}`,
    token: adminToken,
    userAgent: 'sparkwing-cli',
    fetch,
  });
  try {
    await controller.health();
  } catch {
    return null; // stopping, or another process on the port: open the store here instead
  }
  return {
    controller,
    logsUrl: `${record.url}${DASHBOARD_LOGS_PATH}`,
    logsFetch: fetch,
    adminToken,
    via: `dashboard ${record.url}`,
    close: async () => {},
  };
}

/** The dashboard when it is up, else the controller and logs apps opened in this process. */
export async function connectLocal(home: string, options: { sweep: boolean }): Promise<LocalConnection> {
  const viaDashboard = await dashboardConnection(home);
  if (viaDashboard) return viaDashboard;
  const { LOCAL_LOGS_URL, openLocalStack } = await import('./stack.js');
  const stack = await openLocalStack({ home, sweep: options.sweep });
  return {
    controller: stack.controller,
    logsUrl: LOCAL_LOGS_URL,
    logsFetch: stack.logsFetch,
    adminToken: stack.adminToken,
    via: 'in-process',
    close: () => stack.close(),
  };
}
