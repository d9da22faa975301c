import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { RunnerMetrics } from './metrics.js';

/** `/metrics` and `/healthz` of a runner; `healthy` turns false while draining. */
export function createMetricsApp(
  metrics: RunnerMetrics,
  status: () => { draining: boolean; inFlight: number },
) {
  const app = new Hono();
  app.get('/metrics', async (c) =>
    c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );
  app.get('/healthz', (c) => {
    const { draining, inFlight } = status();
    return c.json({ status: draining ? 'draining' : 'ok', in_flight: inFlight }, draining ? 503 : 200);
  });
  return app;
}

export function serveMetrics(app: Hono, port: number): Promise<{ port: number; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: '0.0.0.0' }, (info) =>
      resolve({ port: info.port, close: () => new Promise((done) => server.close(() => done())) }),
    );
  });
}
