import { createHash } from 'node:crypto';
import { ApiError, isNodeToken, verifyNodeToken } from '@sparkwing/contracts';
import type { IntrospectResponse } from '@sparkwing/contracts';
import type { MiddlewareHandler } from 'hono';

export interface CachePrincipal {
  kind: 'node' | 'user' | 'runner' | 'service';
  name: string;
  /** Set for node tokens: the only run whose artifacts the token may write. */
  runId: string | null;
  scopes: readonly string[];
}

export type AuthVariables = { principal: CachePrincipal };

export interface Authenticator {
  /** Resolves a bearer to a principal, or throws 401. */
  authenticate(token: string): Promise<CachePrincipal>;
}

export interface AuthenticatorOptions {
  signingKey?: string;
  /** Calls the controller's `POST /api/v1/auth/introspect` with the token; null when no controller. */
  introspect?: (token: string) => Promise<IntrospectResponse>;
  /** How long a positive introspection answer is reused. */
  cacheMs?: number;
  now?: () => number;
}

const MAX_CACHED = 1_000;

/** Node tokens verify offline with the signing key; anything else goes to the controller, cached briefly. */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? 30_000;
  const cache = new Map<string, { principal: CachePrincipal; until: number }>();

  return {
    async authenticate(token) {
      if (isNodeToken(token) && options.signingKey) {
        const result = verifyNodeToken(options.signingKey, token, now());
        if (!result.ok) throw new ApiError('unauthorized', `node token rejected: ${result.reason}`);
        return { kind: 'node', name: result.claims.node_id, runId: result.claims.run_id, scopes: [] };
      }
      if (!options.introspect)
        throw new ApiError('unauthorized', 'token cannot be verified: no controller configured');
      const key = createHash('sha256').update(token).digest('hex');
      const cached = cache.get(key);
      if (cached && cached.until > now()) return cached.principal;
      let answer: IntrospectResponse;
      try {
        answer = await options.introspect(token);
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 401 || status === 403)
          throw new ApiError('unauthorized', 'token rejected by the controller');
        throw new ApiError('unavailable', `cannot verify token: ${(error as Error).message}`);
      }
      const principal: CachePrincipal = {
        kind: answer.principal.kind,
        name: answer.principal.name,
        runId: answer.principal.run_id,
        scopes: answer.scopes,
      };
      const until = Math.min(now() + cacheMs, answer.expires_at ?? Number.POSITIVE_INFINITY);
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
      cache.set(key, { principal, until });
      return principal;
    },
  };
}

/** Bearer from `Authorization: Bearer x`, or the password of Basic auth (what `git` sends). */
export function bearerFrom(header: string | undefined): string | null {
  if (!header) return null;
  const [scheme, value] = header.split(' ', 2);
  if (!scheme || !value) return null;
  if (scheme.toLowerCase() === 'bearer') return value.trim() || null;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) || null : null;
  }
  return null;
}

export function requireAuth(auth: Authenticator): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const token = bearerFrom(c.req.header('authorization'));
    if (!token) {
      c.header('WWW-Authenticate', 'Basic realm="sparkwing-cache"');
      throw new ApiError('unauthorized', 'missing bearer token');
    }
    c.set('principal', await auth.authenticate(token));
    await next();
  };
}

/** Node tokens may only touch their own run's artifacts. */
export function assertRunAccess(principal: CachePrincipal, runId: string): void {
  if (principal.kind === 'node' && principal.runId !== runId) {
    throw new ApiError('forbidden', `this node token belongs to run ${principal.runId}, not ${runId}`);
  }
}

/** Registering mirrors points the cache at arbitrary URLs: not for node tokens. */
export function assertNotNode(principal: CachePrincipal, what: string): void {
  if (principal.kind === 'node') throw new ApiError('forbidden', `node tokens cannot ${what}`);
}
