import {
  declaredBodyLimit,
  errorHandler,
  notFoundHandler,
  observeRequests,
  requestId,
} from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { buildDeps, type WebAppOptions, type WebDeps } from './deps.js';
import { healthRoutes } from './routes/health.js';
import { MAX_PROXY_BODY } from './proxy/forward.js';
import { proxyRoutes } from './routes/proxy.js';
import { sessionRoutes } from './routes/session.js';
import { staticRoutes } from './routes/static.js';
import { resolveViewer, type ViewerVariables } from './session/viewer.js';

/** The dashboard server: health, metrics, session, the API proxy, then the browser app. No I/O here. */
export function createApp(deps: WebDeps) {
  const app = new Hono<{ Variables: ViewerVariables }>();
  app.use(requestId());
  app.use(observeRequests({ service: 'web', metrics: deps.metrics.http, logger: deps.logger }));
  app.use(declaredBodyLimit(MAX_PROXY_BODY));
  app.use(resolveViewer(deps));
  app.route('/', healthRoutes(deps));
  app.route('/', sessionRoutes(deps));
  app.route('/', proxyRoutes(deps));
  app.route('/', staticRoutes(deps));
  app.onError(errorHandler(deps.logger));
  app.notFound(notFoundHandler);
  return app;
}

/** One call for embedders (the local dashboard): options → deps → app. */
export function createWebApp(options: WebAppOptions) {
  const deps = buildDeps(options);
  return { app: createApp(deps), deps };
}
