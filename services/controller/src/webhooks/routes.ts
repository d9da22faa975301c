import { ApiError, gitSourceSchema } from '@sparkwing/contracts';
import { parseWith, readBodyBytes } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import type { AppEnv, ControllerDeps } from '../deps.js';
import type { WebhookOutcome } from '../metrics.js';
import { idParam } from '../routes/params.js';
import { triggerFromDelivery } from './deliveries.js';
import { interpretGithubEvent } from './github-events.js';
import { verifyGithubSignature } from './signature.js';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
/** Event label values are bounded: anything else counts as `other`. */
const KNOWN_EVENTS = new Set(['ping', 'push', 'pull_request']);

/** POST /webhooks/github/{pipeline}: HMAC-verified GitHub deliveries trigger the pipeline. */
export function webhookRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>().post('/webhooks/github/:pipeline', async (c) => {
    const event = c.req.header('x-github-event') ?? 'unknown';
    let outcome: WebhookOutcome = 'invalid';
    try {
      const pipeline = idParam(c, 'pipeline');
      if (!deps.webhookSecret)
        throw new ApiError('unavailable', 'GitHub webhooks are disabled: GITHUB_WEBHOOK_SECRET is not set');
      let body: Buffer;
      try {
        body = await readBodyBytes(c, WEBHOOK_BODY_LIMIT);
      } catch (error) {
        outcome = 'too_large';
        throw error;
      }
      if (!verifyGithubSignature(deps.webhookSecret, body, c.req.header('x-hub-signature-256'))) {
        outcome = 'unauthorized';
        throw new ApiError('unauthorized', 'missing or invalid X-Hub-Signature-256');
      }
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch {
        throw new ApiError('bad_request', 'webhook body is not valid JSON');
      }
      const action = interpretGithubEvent(event, payload);
      if (action.kind === 'ping') {
        outcome = 'pong';
        return c.json({ ok: true, event: 'ping' });
      }
      if (action.kind === 'ignore') {
        outcome = 'ignored';
        return c.json({ ignored: true, reason: action.reason }, 202);
      }
      // The delivery id is what makes a redelivery idempotent: without it every retry would be a new run.
      const deliveryId = c.req.header('x-github-delivery');
      if (!deliveryId || deliveryId.length > 128)
        throw new ApiError('bad_request', 'missing or oversized X-GitHub-Delivery header');
      const delivery = { id: deliveryId, event };
      // The same limits as the API (branch, repository URL): a payload cannot store what a trigger could not.
      const git = parseWith(gitSourceSchema, action.git, 'webhook payload');
      const result = triggerFromDelivery(deps.queue, delivery, pipeline, git, action.actor);
      outcome = result.duplicate ? 'duplicate' : 'triggered';
      if (result.duplicate) return c.json({ run_id: result.runId, duplicate: true });
      deps.logger.info('webhook triggered run', { pipeline, event, run_id: result.runId });
      return c.json({ run_id: result.runId }, 202);
    } finally {
      deps.metrics.webhookDeliveries.inc({ event: KNOWN_EVENTS.has(event) ? event : 'other', outcome });
    }
  });
}
