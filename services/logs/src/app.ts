import {
  declaredBodyLimit,
  errorHandler,
  notFoundHandler,
  observeRequests,
  type RequestIdVariables,
  requestId,
} from '@sparkwing/telemetry';
import { LOG_LIMITS } from '@sparkwing/contracts';
import { Hono } from 'hono';
import type { LogsDeps } from './deps.js';
import { appendLogs } from './routes/logs/append.js';
import { deleteRunLogs } from './routes/logs/delete.js';
import { readLogs } from './routes/logs/read.js';
import { readRunLogs } from './routes/logs/read-run.js';
import { searchLogsRoute } from './routes/logs/search.js';
import { streamLogs } from './routes/logs/stream.js';

/** The logs HTTP app. No I/O here: everything stateful comes in through `deps`. */
export function createApp(deps: LogsDeps) {
  const { registry, http } = deps.metrics.service;
  const app = new Hono<{ Variables: RequestIdVariables }>()
    .use(requestId())
    .use(observeRequests({ service: 'logs', metrics: http, logger: deps.logger }))
    .use(declaredBodyLimit(LOG_LIMITS.maxBodyBytes))
    .get('/api/v1/health', (c) => c.json({ status: 'ok' as const, version: deps.version }))
    .get('/metrics', async (c) =>
      c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }),
    )
    // `search` before `:runId` so it is never taken for a run id.
    .get('/api/v1/logs/search', searchLogsRoute(deps))
    .get('/api/v1/logs/:runId', readRunLogs(deps))
    .delete('/api/v1/logs/:runId', deleteRunLogs(deps))
    .post('/api/v1/logs/:runId/:nodeId', appendLogs(deps))
    .get('/api/v1/logs/:runId/:nodeId', readLogs(deps))
    .get('/api/v1/logs/:runId/:nodeId/stream', streamLogs(deps));
  app.onError(errorHandler(deps.logger));
  app.notFound(notFoundHandler);
  return app;
}

export type LogsApp = ReturnType<typeof createApp>;
