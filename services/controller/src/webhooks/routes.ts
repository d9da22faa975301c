import { ApiError, gitSourceSchema } from '@sparkwing/contracts';
import { parseWith, readBodyBytes } from '@sparkwing/telemetry';
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { AppEnv, ControllerDeps } from '../deps.js';
import type { WebhookOutcome } from '../metrics.js';
import { idParam } from '../routes/params.js';
import { applyDelivery, seenDelivery } from '../triggers/apply-delivery.js';
import { parseDelivery } from '../triggers/github-delivery.js';
import { planDelivery } from '../triggers/plan-delivery.js';
import { rememberRepo } from '../triggers/repos.js';
import { triggerFromDelivery } from './deliveries.js';
import { interpretGithubEvent } from './github-events.js';
import { verifyGithubSignature } from './signature.js';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
/** Event label values are bounded: anything else counts as `other`. */
const KNOWN_EVENTS = new Set(['ping', 'push', 'pull_request']);

function requireDeliveryId(c: Context<AppEnv>): string {
  const deliveryId = c.req.header('x-github-delivery');
  if (!deliveryId || deliveryId.length > 128)
    throw new ApiError('bad_request', 'missing or oversized X-GitHub-Delivery header');
  return deliveryId;
}

/** Checks the secret, the size and the HMAC, then parses the JSON body. */
async function verifiedPayload(
  c: Context<AppEnv>,
  deps: ControllerDeps,
  setOutcome: (o: WebhookOutcome) => void,
): Promise<unknown> {
  if (!deps.webhookSecret)
    throw new ApiError('unavailable', 'GitHub webhooks are disabled: GITHUB_WEBHOOK_SECRET is not set');
  let body: Buffer;
  try {
    body = await readBodyBytes(c, WEBHOOK_BODY_LIMIT);
  } catch (error) {
    setOutcome('too_large');
    throw error;
  }
  if (!verifyGithubSignature(deps.webhookSecret, body, c.req.header('x-hub-signature-256'))) {
    setOutcome('unauthorized');
    throw new ApiError('unauthorized', 'missing or invalid X-Hub-Signature-256');
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError('bad_request', 'webhook body is not valid JSON');
  }
}

/**
 * POST /webhooks/github: one URL per installation; sparkwing.yaml at the event's commit decides which
 * pipelines run. POST /webhooks/github/{pipeline}: the legacy form, every branch push and PR runs that one.
 */
export function webhookRoutes(deps: ControllerDeps) {
  return new Hono<AppEnv>()
    .post('/webhooks/github', async (c) => {
      const event = c.req.header('x-github-event') ?? 'unknown';
      let outcome: WebhookOutcome = 'invalid';
      try {
        const payload = await verifiedPayload(c, deps, (o) => {
          outcome = o;
        });
        // The delivery id is what makes a redelivery idempotent: without it every retry would be a new run.
        const deliveryId = requireDeliveryId(c);
        const delivery = parseDelivery(event, payload);
        if (delivery.kind === 'ping') {
          outcome = 'pong';
          return c.json({ ok: true, event: 'ping' });
        }
        if (delivery.kind === 'ignore') {
          outcome = 'ignored';
          return c.json({ ignored: true, reason: delivery.reason }, 202);
        }
        const seen = seenDelivery(deps.queue, deliveryId);
        if (seen) {
          outcome = 'duplicate';
          return c.json({ duplicate: true, run_ids: seen });
        }
        rememberRepo(deps.db, delivery.repo, deps.clock.now());
        const plan = await planDelivery(delivery, deps.repoSource);
        // The same limits as the API (branch, repository URL): a payload cannot store what a trigger could not.
        for (const run of plan.runs)
          if (run.git) run.git = parseWith(gitSourceSchema, run.git, 'webhook payload');
        const applied = applyDelivery(deps.queue, { id: deliveryId, event }, plan, deps.reportStatuses);
        outcome = applied.duplicate ? 'duplicate' : applied.runIds.length > 0 ? 'triggered' : 'ignored';
        deps.logger.info('webhook delivery', {
          event,
          repo: delivery.repo.fullName,
          run_ids: applied.runIds,
          cancelled: applied.cancelled,
        });
        const body = {
          run_ids: applied.runIds,
          cancelled: applied.cancelled,
          skipped: plan.skipped,
          ...(plan.note ? { note: plan.note } : {}),
          ...(applied.duplicate ? { duplicate: true } : {}),
        };
        return c.json(body, applied.duplicate ? 200 : 202);
      } finally {
        deps.metrics.webhookDeliveries.inc({ event: KNOWN_EVENTS.has(event) ? event : 'other', outcome });
      }
    })
    .post('/webhooks/github/:pipeline', async (c) => {
      const event = c.req.header('x-github-event') ?? 'unknown';
      let outcome: WebhookOutcome = 'invalid';
      try {
        const pipeline = idParam(c, 'pipeline');
        const payload = await verifiedPayload(c, deps, (o) => {
          outcome = o;
        });
        const action = interpretGithubEvent(event, payload);
        if (action.kind === 'ping') {
          outcome = 'pong';
          return c.json({ ok: true, event: 'ping' });
        }
        if (action.kind === 'ignore') {
          outcome = 'ignored';
          return c.json({ ignored: true, reason: action.reason }, 202);
        }
        const delivery = { id: requireDeliveryId(c), event };
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
