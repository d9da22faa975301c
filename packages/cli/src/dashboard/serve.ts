import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createWebApp } from '@sparkwing/web';
import { DASHBOARD_CONTROLLER_PATH, DASHBOARD_LOGS_PATH } from '../local/connect.js';
import { LOCAL_CONTROLLER_URL, LOCAL_LOGS_URL, openLocalStack } from '../local/stack.js';
import { DASHBOARD_HOST, removeRecord, writeRecord } from './files.js';

export interface ServeOptions {
  home: string;
  port: number;
  host?: string;
}

/**
 * Runs the local dashboard in this process: the same web app as the cluster, its upstreams being the
 * controller and logs apps mounted in-process over `$SPARKWING_HOME`. Runs until SIGTERM/SIGINT.
 */
export async function serveDashboard(options: ServeOptions): Promise<void> {
  const host = options.host ?? DASHBOARD_HOST;
  // It owns the store while it runs: `sparkwing run`s go through it (see mountLocalApis), so it sweeps too.
  const stack = await openLocalStack({ home: options.home });
  const { app } = createWebApp({
    mode: 'local',
    controllerUrl: LOCAL_CONTROLLER_URL,
    controllerFetch: stack.controllerFetch,
    logsUrl: LOCAL_LOGS_URL,
    logsFetch: stack.logsFetch,
    localToken: stack.adminToken,
  });
  const server = serve({
    fetch: mountLocalApis(app.fetch, { controller: stack.controllerApp, logs: stack.logsApp }),
    port: options.port,
    hostname: host,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => resolve());
      server.once('error', reject);
    });
  } catch (error) {
    await stack.close();
    throw new Error(`cannot listen on ${host}:${options.port}: ${(error as Error).message}`);
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  await writeRecord(options.home, {
    pid: process.pid,
    host,
    port,
    url,
    home: options.home,
    started_at: new Date().toISOString(),
  });
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url, port, pid: process.pid })}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 3_000).unref();
    await removeRecord(options.home, process.pid);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Open log streams would keep close() waiting forever.
    if ('closeAllConnections' in server) server.closeAllConnections();
    await closed;
    await stack.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

type AppFetch = (request: Request) => Response | Promise<Response>;

/**
 * The controller and logs APIs for other `sparkwing` processes on this machine (`local/connect.ts`), next to
 * the web app. Each app checks the bearer token itself; the listener is 127.0.0.1 only.
 */
function mountLocalApis(
  web: AppFetch,
  apps: { controller: { fetch: AppFetch }; logs: { fetch: AppFetch } },
): AppFetch {
  const mounts: [string, AppFetch][] = [
    [`${DASHBOARD_CONTROLLER_PATH}/`, (request) => apps.controller.fetch(request)],
    [`${DASHBOARD_LOGS_PATH}/`, (request) => apps.logs.fetch(request)],
  ];
  return (request) => {
    const url = new URL(request.url);
    for (const [prefix, target] of mounts) {
      if (!url.pathname.startsWith(prefix)) continue;
      url.pathname = url.pathname.slice(prefix.length - 1);
      return target(new Request(url, request));
    }
    return web(request);
  };
}
