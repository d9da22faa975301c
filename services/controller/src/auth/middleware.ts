import {
  ApiError,
  isNodeToken,
  type NodeTokenClaims,
  type Principal,
  type Scope,
  hasScope,
  verifyNodeToken,
} from '@sparkwing/contracts';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv, ControllerDeps } from '../deps.js';

export interface AuthContext {
  principal: Principal;
  scopes: Scope[];
  /** Set for node tokens. */
  node: NodeTokenClaims | null;
  /** Unix ms after which this answer must not be trusted (node tokens), else null. */
  expiresAt: number | null;
}

function bearer(c: Context): string {
  const header = c.req.header('authorization');
  if (!header) throw new ApiError('unauthorized', 'missing Authorization: Bearer token');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new ApiError('unauthorized', 'Authorization header must be "Bearer <token>"');
  return match[1]!;
}

/** Resolves any bearer (API token or node token) to a principal; 401 if it is not valid. */
export function resolveBearer(deps: ControllerDeps, token: string): AuthContext {
  if (isNodeToken(token)) {
    const verdict = verifyNodeToken(deps.signingKey, token, deps.clock.now());
    if (!verdict.ok) throw new ApiError('unauthorized', `invalid node token (${verdict.reason})`);
    const claims = verdict.claims;
    return {
      principal: {
        kind: 'node',
        name: `${claims.run_id}/${claims.node_id}#${claims.attempt}`,
        token_prefix: null,
        run_id: claims.run_id,
        node_id: claims.node_id,
      },
      scopes: [],
      node: claims,
      expiresAt: claims.exp,
    };
  }
  const info = deps.tokens.verify(token);
  if (!info) throw new ApiError('unauthorized', 'unknown or revoked token');
  return {
    principal: { kind: info.kind, name: info.name, token_prefix: info.prefix, run_id: null, node_id: null },
    scopes: info.scopes,
    node: null,
    expiresAt: null,
  };
}

/** Requires an API token carrying `scope` (`admin` satisfies any); 403 names the missing scope. */
export function requireScope(deps: ControllerDeps, scope: Scope): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const auth = resolveBearer(deps, bearer(c));
    if (auth.node) {
      throw new ApiError(
        'forbidden',
        `node tokens cannot call ${c.req.method} ${c.req.path}: it requires scope ${scope}`,
      );
    }
    if (!hasScope(auth.scopes, scope)) {
      const has = auth.scopes.length > 0 ? auth.scopes.join(', ') : 'none';
      throw new ApiError('forbidden', `missing scope ${scope} (token has: ${has})`);
    }
    c.set('auth', auth);
    await next();
  };
}

/**
 * `scope` for API tokens; a node token also passes for its own run (the run in the path): what a job needs
 * to read its run and the outputs of the jobs it needs, without the runner holding `runs.read`.
 */
export function requireScopeOrOwnRun(deps: ControllerDeps, scope: Scope): MiddlewareHandler<AppEnv> {
  const apiToken = requireScope(deps, scope);
  return async (c, next) => {
    const token = bearer(c);
    if (!isNodeToken(token)) return apiToken(c, next);
    const auth = resolveBearer(deps, token);
    const runId = c.req.param('id');
    if (auth.node?.run_id !== runId) {
      throw new ApiError(
        'forbidden',
        `this node token is for run ${auth.node?.run_id}; it cannot read run ${runId ?? '*'}`,
      );
    }
    c.set('auth', auth);
    await next();
  };
}

/** Any valid bearer. */
export function requireAnyToken(deps: ControllerDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('auth', resolveBearer(deps, bearer(c)));
    await next();
  };
}

/**
 * Requires a node token for the run in the path (and the node, when the path names one). An expired token
 * means the lease lapsed: 409 `lease_lost`, the same answer as a reclaimed lease.
 */
export function requireNodeToken(
  deps: ControllerDeps,
  options: { node?: string } = {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearer(c);
    if (!isNodeToken(token)) {
      // A token nobody issued is unauthenticated (401); a valid API token is just the wrong kind (403).
      if (!deps.tokens.verify(token)) throw new ApiError('unauthorized', 'unknown or revoked token');
      throw new ApiError(
        'forbidden',
        `${c.req.method} ${c.req.path} requires the node token of the claimed node, not an API token`,
      );
    }
    const verdict = verifyNodeToken(deps.signingKey, token, deps.clock.now());
    if (!verdict.ok) {
      if (verdict.reason === 'expired')
        throw new ApiError('lease_lost', 'lease lost: the node token expired with its lease');
      throw new ApiError('unauthorized', `invalid node token (${verdict.reason})`);
    }
    const claims = verdict.claims;
    const runId = c.req.param('id');
    const nodeId = options.node ?? c.req.param('nodeID');
    if (claims.run_id !== runId || (nodeId !== undefined && claims.node_id !== nodeId)) {
      throw new ApiError(
        'forbidden',
        `this node token is for ${claims.run_id}/${claims.node_id}, not ${runId}/${nodeId ?? '*'}`,
      );
    }
    c.set('auth', {
      principal: {
        kind: 'node',
        name: `${claims.run_id}/${claims.node_id}#${claims.attempt}`,
        token_prefix: null,
        run_id: claims.run_id,
        node_id: claims.node_id,
      },
      scopes: [],
      node: claims,
      expiresAt: claims.exp,
    });
    await next();
  };
}
