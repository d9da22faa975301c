import { ApiError, createSecretRequestSchema, createTokenRequestSchema } from '@sparkwing/contracts';
import { readJson } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { requireAnyToken, requireScope } from '../auth/middleware.js';
import type { AppEnv, ControllerDeps } from '../deps.js';
import { BODY_LIMITS, idParam } from './params.js';

/** Tokens and secrets [admin], and introspection for any valid bearer. */
export function adminRoutes(deps: ControllerDeps) {
  const admin = requireScope(deps, 'admin');
  return new Hono<AppEnv>()
    .post('/tokens', admin, async (c) => {
      const body = await readJson(c, createTokenRequestSchema, BODY_LIMITS.small);
      return c.json(deps.tokens.create(body), 201);
    })
    .get('/tokens', admin, (c) => c.json({ tokens: deps.tokens.list() }))
    .delete('/tokens/:prefix', admin, (c) => {
      const prefix = idParam(c, 'prefix');
      if (!deps.tokens.delete(prefix)) throw new ApiError('not_found', `token ${prefix} not found`);
      return c.body(null, 204);
    })
    .post('/secrets', admin, async (c) => {
      const body = await readJson(c, createSecretRequestSchema, BODY_LIMITS.default);
      return c.json(deps.secrets.put(body), 201);
    })
    .get('/secrets', admin, (c) => c.json({ secrets: deps.secrets.list() }))
    .delete('/secrets/:name', admin, (c) => {
      const name = idParam(c, 'name');
      if (!deps.secrets.delete(name)) throw new ApiError('not_found', `secret ${name} not found`);
      return c.body(null, 204);
    })
    .post('/auth/introspect', requireAnyToken(deps), (c) => {
      const auth = c.get('auth');
      return c.json({
        active: true as const,
        principal: auth.principal,
        scopes: auth.scopes,
        expires_at: auth.expiresAt,
      });
    });
}
