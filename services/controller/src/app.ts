import {
  declaredBodyLimit,
  errorHandler,
  notFoundHandler,
  observeRequests,
  requestId,
} from '@sparkwing/telemetry';
import { Hono } from 'hono';
import type { AppEnv, ControllerDeps } from './deps.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';
import { claimRoutes } from './routes/nodes/claim.js';
import { nodeLifecycleRoutes } from './routes/nodes/lifecycle.js';
import { nodeReadRoutes } from './routes/nodes/read.js';
import { runnerRoutes } from './routes/runners.js';
import { planRoutes } from './routes/runs/plan.js';
import { runReadRoutes } from './routes/runs/read.js';
import { runSecretRoutes } from './routes/runs/secret.js';
import { runWriteRoutes } from './routes/runs/write.js';
import { triggerRoutes } from './routes/triggers.js';
import { BODY_LIMITS } from './routes/params.js';
import { webhookRoutes } from './webhooks/routes.js';

/** The controller's HTTP API. No I/O here: everything it touches comes in `deps`. */
export function createApp(deps: ControllerDeps) {
  const api = new Hono<AppEnv>()
    .route('/', healthRoutes(deps))
    .route('/', triggerRoutes(deps))
    .route('/', runReadRoutes(deps))
    .route('/', runWriteRoutes(deps))
    .route('/', planRoutes(deps))
    .route('/', runSecretRoutes(deps))
    .route('/', claimRoutes(deps))
    .route('/', nodeLifecycleRoutes(deps))
    .route('/', nodeReadRoutes(deps))
    .route('/', runnerRoutes(deps))
    .route('/', adminRoutes(deps));
  const app = new Hono<AppEnv>()
    .use(requestId())
    .use(observeRequests({ service: 'controller', metrics: deps.metrics.http, logger: deps.logger }))
    // Body limits before any authentication work: declared sizes here, streamed sizes per route.
    .use(declaredBodyLimit(BODY_LIMITS.plan))
    .route('/api/v1', api)
    .route('/', webhookRoutes(deps))
    .get('/metrics', async (c) => {
      deps.queue.refreshGauges();
      return c.body(await deps.metrics.registry.metrics(), 200, {
        'content-type': deps.metrics.registry.contentType,
      });
    });
  app.onError(errorHandler(deps.logger));
  app.notFound(notFoundHandler);
  return app;
}

export type ControllerApp = ReturnType<typeof createApp>;
