import { Hono } from 'hono';
import type { WebDeps } from '../deps.js';

/** Liveness plus a quick look at whether the controller answers (degraded, not down, when it does not). */
export function healthRoutes(deps: WebDeps) {
  return new Hono()
    .get('/api/health', async (c) => {
      const reasons: string[] = [];
      const token = deps.mode === 'local' ? deps.localToken : deps.serviceToken;
      try {
        const response = await deps.controller.fetch(`${deps.controller.baseUrl}/api/v1/health`, {
          headers: token ? { authorization: `Bearer ${token}` } : {},
          signal: AbortSignal.timeout(2_000),
        });
        await response.body?.cancel();
        if (!response.ok) reasons.push(`controller answered ${response.status}`);
      } catch {
        reasons.push('controller unreachable');
      }
      c.header('Cache-Control', 'no-store');
      return c.json({
        status: reasons.length === 0 ? 'ok' : 'degraded',
        version: deps.version,
        mode: deps.mode,
        reasons,
      });
    })
    .get('/metrics', async (c) => {
      deps.metrics.activeSessions.set(deps.sessions.size);
      c.header('Content-Type', deps.metrics.registry.contentType);
      return c.body(await deps.metrics.registry.metrics());
    });
}
