import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from '../../suite/lib/procs.js';

export type ServiceName = 'controller' | 'logs' | 'cache' | 'web';

interface RouteTable {
  routes: ReadonlyArray<{ method: string; path: string }>;
}

/** `METHOD /path` of every route a service registers (middleware entries left out). */
function keysOf(app: RouteTable): string[] {
  const keys = new Set<string>();
  for (const route of app.routes) {
    if (route.method === 'ALL') continue;
    keys.add(`${route.method} ${route.path}`);
  }
  return [...keys].sort();
}

/**
 * The route tables of the four HTTP services, read from the apps their own factories build (the built
 * dist, as the processes under test run it) over throwaway data directories. No request is served.
 */
export async function serviceRouteTables(): Promise<Record<ServiceName, string[]>> {
  const dir = mkdtempSync(join(tmpdir(), 'sparkwing-routes-'));
  try {
    const controllerMod = await import(repoPath('services/controller/dist/index.js'));
    const logsMod = await import(repoPath('services/logs/dist/index.js'));
    const cacheMod = await import(repoPath('services/cache/dist/index.js'));
    const webMod = await import(repoPath('services/web/dist/index.js'));
    const controller = controllerMod.createController({ dataDir: join(dir, 'controller') });
    const logs = logsMod.createLogsService({
      dataDir: join(dir, 'logs'),
      signingKey: 'route-table-signing-key',
      introspect: null,
    });
    const cache = cacheMod.createCacheService({ dataDir: join(dir, 'cache'), autoStart: false });
    const web = webMod.createWebApp({ mode: 'cluster', sessionSecret: 'route-table-session-secret' });
    const tables = {
      controller: keysOf(controller.app),
      logs: keysOf(logs.app),
      cache: keysOf(cache.app),
      web: keysOf(web.app),
    };
    controller.close();
    await logs.close();
    await cache.close();
    return tables;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
