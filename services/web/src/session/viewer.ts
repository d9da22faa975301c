import { createHmac } from 'node:crypto';
import { ApiError, type Principal, type Scope } from '@sparkwing/contracts';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { WebDeps } from '../deps.js';
import { safeEqual } from './store.js';

export const SESSION_COOKIE = 'sparkwing_session';
export const CSRF_HEADER = 'x-csrf-token';

/** Who the request acts as: a signed-in person (cluster) or the local user (local mode). */
export interface Viewer {
  token: string;
  principal: Principal;
  scopes: Scope[];
  sessionId: string | null;
  csrfToken: string;
  expiresAt: number | null;
}

export type ViewerVariables = { viewer: Viewer | null; requestId: string };

const LOCAL_PRINCIPAL: Principal = {
  kind: 'user',
  name: 'local',
  token_prefix: null,
  run_id: null,
  node_id: null,
};
const LOCAL_SCOPES: Scope[] = ['runs.read', 'runs.write', 'logs.read'];

/** Resolves the viewer once per request; routes decide whether they need one. */
export function resolveViewer(deps: WebDeps): MiddlewareHandler<{ Variables: ViewerVariables }> {
  const localCsrf = createHmac('sha256', deps.sessions.csrfToken('local'))
    .update('local')
    .digest('base64url');
  return async (c, next) => {
    if (deps.mode === 'local') {
      c.set('viewer', {
        token: deps.localToken!,
        principal: LOCAL_PRINCIPAL,
        scopes: LOCAL_SCOPES,
        sessionId: null,
        csrfToken: localCsrf,
        expiresAt: null,
      });
    } else {
      const session = deps.sessions.resolve(getCookie(c, SESSION_COOKIE));
      c.set(
        'viewer',
        session && {
          token: session.token,
          principal: session.principal,
          scopes: session.scopes,
          sessionId: session.id,
          csrfToken: deps.sessions.csrfToken(session.id),
          expiresAt: session.expiresAt,
        },
      );
    }
    await next();
  };
}

export function requireViewer(c: Context<{ Variables: ViewerVariables }>): Viewer {
  const viewer = c.get('viewer');
  if (!viewer)
    throw new ApiError('unauthorized', 'sign in to use the dashboard (your session may have expired)');
  return viewer;
}

/** State-changing requests must echo the session's CSRF token in `X-CSRF-Token`. */
export function requireCsrf(c: Context<{ Variables: ViewerVariables }>, viewer: Viewer): void {
  const presented = c.req.header(CSRF_HEADER);
  if (presented === undefined || !safeEqual(presented, viewer.csrfToken)) {
    throw new ApiError('forbidden', 'missing or wrong CSRF token; reload the page and try again');
  }
}
