import { ApiError, type Scope } from '@sparkwing/contracts';
import { type Caller, readJson } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { WebDeps } from '../deps.js';
import { SIGN_IN_OUTCOMES } from '../metrics.js';
import {
  requireCsrf,
  requireViewer,
  SESSION_COOKIE,
  type Viewer,
  type ViewerVariables,
} from '../session/viewer.js';

const signInSchema = z.strictObject({ token: z.string().min(8).max(4_096) });

function describe(deps: WebDeps, viewer: Viewer) {
  return {
    authenticated: true as const,
    mode: deps.mode,
    principal: viewer.principal,
    scopes: viewer.scopes,
    csrf_token: viewer.csrfToken,
    expires_at: viewer.expiresAt === null ? null : new Date(viewer.expiresAt).toISOString(),
  };
}

/** Sign-in, who-am-I and sign-out. Local mode is always "signed in" as the local user. */
export function sessionRoutes(deps: WebDeps) {
  return new Hono<{ Variables: ViewerVariables }>()
    .get('/api/session', (c) => {
      c.header('Cache-Control', 'no-store');
      const viewer = c.get('viewer');
      if (!viewer) return c.json({ authenticated: false as const, mode: deps.mode });
      return c.json(describe(deps, viewer));
    })
    .post('/api/session', async (c) => {
      if (deps.mode === 'local') throw new ApiError('bad_request', 'the local dashboard needs no sign-in');
      // A JSON content type cannot be sent cross-site without a CORS preflight, which this server never grants.
      if (!(c.req.header('content-type') ?? '').startsWith('application/json')) {
        throw new ApiError('unsupported_media_type', 'sign-in takes a JSON body {"token": "…"}');
      }
      const { token } = await readJson(c, signInSchema, 8_192);
      let caller: Caller;
      try {
        caller = await deps.auth.verify(token);
      } catch (error) {
        if (error instanceof ApiError && error.code === 'unauthorized') {
          deps.metrics.signIns.inc({ outcome: SIGN_IN_OUTCOMES.rejected });
          throw new ApiError(
            'unauthorized',
            'that token was not accepted: check it was copied whole and has not been revoked',
          );
        }
        deps.metrics.signIns.inc({ outcome: SIGN_IN_OUTCOMES.error });
        throw error;
      }
      if (caller.kind === 'node' || caller.kind === 'runner') {
        deps.metrics.signIns.inc({ outcome: SIGN_IN_OUTCOMES.rejected });
        throw new ApiError('forbidden', `a ${caller.kind} token cannot sign in; use your personal token`);
      }
      // A fresh id on every sign-in; the session this browser had (if any) ends here.
      const previous = c.get('viewer');
      if (previous?.sessionId) deps.sessions.destroy(previous.sessionId);
      const { session, cookie } = deps.sessions.create({
        token,
        principal: caller.principal,
        scopes: caller.scopes as Scope[],
        tokenExpiresAt: caller.expiresAt,
      });
      deps.metrics.signIns.inc({ outcome: SIGN_IN_OUTCOMES.ok });
      deps.metrics.activeSessions.set(deps.sessions.size);
      setCookie(c, SESSION_COOKIE, cookie, {
        httpOnly: true,
        sameSite: 'Strict',
        secure: deps.secureCookie,
        path: '/',
        maxAge: Math.max(1, Math.floor((session.expiresAt - session.createdAt) / 1_000)),
      });
      c.header('Cache-Control', 'no-store');
      return c.json(
        describe(deps, {
          token,
          principal: session.principal,
          scopes: session.scopes,
          sessionId: session.id,
          csrfToken: deps.sessions.csrfToken(session.id),
          expiresAt: session.expiresAt,
        }),
      );
    })
    .delete('/api/session', (c) => {
      if (deps.mode === 'local')
        throw new ApiError('bad_request', 'the local dashboard has no session to end');
      const viewer = requireViewer(c);
      requireCsrf(c, viewer);
      if (viewer.sessionId) deps.sessions.destroy(viewer.sessionId);
      deps.metrics.activeSessions.set(deps.sessions.size);
      deleteCookie(c, SESSION_COOKIE, {
        path: '/',
        secure: deps.secureCookie,
        httpOnly: true,
        sameSite: 'Strict',
      });
      return c.body(null, 204);
    });
}
