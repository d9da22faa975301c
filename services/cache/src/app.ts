import {
  closeOnEarlyError,
  declaredBodyLimit,
  errorHandler,
  notFoundHandler,
  observeRequests,
  requestId,
} from '@sparkwing/telemetry';
import { Hono } from 'hono';
import type { CacheDeps } from './deps.js';
import { rejectDotSegments } from './dot-segments.js';
import { blobRoutes } from './routes/blobs.js';
import { gitRoutes } from './routes/git.js';
import { healthRoutes } from './routes/health.js';
import { proxyRoutes } from './routes/proxy.js';
import { uploadRoutes } from './routes/uploads.js';

/** The cache's Hono app; no I/O here (routes touch the data dir per request). */
export function createApp(deps: CacheDeps) {
  const app = new Hono()
    .use(requestId())
    .use(observeRequests({ service: 'cache', metrics: deps.metrics.http, logger: deps.logger }))
    .use(closeOnEarlyError())
    .use(declaredBodyLimit(Math.max(deps.blobMaxBytes, deps.uploads.maxBytes)))
    .use(rejectDotSegments())
    .route('/', healthRoutes(deps))
    .route('/', proxyRoutes(deps))
    .route('/', gitRoutes(deps))
    .route('/', uploadRoutes(deps))
    .route('/', blobRoutes(deps));
  app.onError(errorHandler(deps.logger));
  app.notFound(notFoundHandler);
  return app;
}
export type CacheApp = ReturnType<typeof createApp>;
