import { CONTROLLER_PROTOCOL } from '@sparkwing/contracts';
import { Hono } from 'hono';
import type { AppEnv, ControllerDeps } from '../deps.js';

/** Public: liveness with version and peer URLs, and the Prometheus scrape. */
export function healthRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>()
    .get('/health', (c) => {
      deps.db.get<{ ok: number }>('select 1 as ok');
      return c.json({
        status: 'ok' as const,
        version: deps.version,
        protocol: CONTROLLER_PROTOCOL,
        cache_url: deps.cacheUrl ?? null,
        logs_url: deps.logsUrl ?? null,
      });
    })
    .get('/metrics', async (c) => {
      deps.queue.refreshGauges();
      const body = await deps.metrics.registry.metrics();
      return c.body(body, 200, { 'content-type': deps.metrics.registry.contentType });
    });
}
