import { statfs } from 'node:fs/promises';
import type { Health } from '@sparkwing/contracts';
import { Hono } from 'hono';
import type { CacheDeps } from '../deps.js';

async function diskReason(deps: CacheDeps): Promise<string | null> {
  const stats = await statfs(deps.layout.root).catch(() => null);
  if (!stats || stats.blocks === 0) return null;
  const free = stats.bavail / stats.blocks;
  if (free >= deps.minFreeFraction) return null;
  return `disk nearly full: ${(free * 100).toFixed(1)}% free on ${deps.layout.root}`;
}

/** `GET /health` (200 with status degraded + reasons, so probes do not restart us over a failing origin) and `GET /metrics`. */
export function healthRoutes(deps: CacheDeps) {
  return new Hono()
    .get('/health', async (c) => {
      const reasons = [...deps.mirrors.failing()];
      const disk = await diskReason(deps);
      if (disk) reasons.push(disk);
      const body: Health = { status: reasons.length > 0 ? 'degraded' : 'ok', version: deps.version, reasons };
      return c.json(body);
    })
    .get('/metrics', async (c) => {
      const text = await deps.metrics.registry.metrics();
      return c.text(text, 200, { 'content-type': deps.metrics.registry.contentType });
    });
}
