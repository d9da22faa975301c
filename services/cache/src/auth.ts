import { ApiError, hasScope, type Scope } from '@sparkwing/contracts';
import type { Caller, CallerVariables } from '@sparkwing/telemetry';
import type { MiddlewareHandler } from 'hono';

export type AuthVariables = CallerVariables;

/**
 * What each cache store asks of a caller (the table in docs/cache.md). Node tokens are accepted where a
 * running job needs the store; API tokens need the scope named here (`admin` satisfies any).
 */
export const CACHE_ACCESS = {
  /** Clone/fetch mirrors, archives, single files, the mirror list. */
  gitRead: { node: true, scope: 'runs.read' },
  /** Code uploads and negotiation: what `sparkwing` does before it triggers a run. */
  uploadWrite: { node: false, scope: 'runs.write' },
  uploadRead: { node: true, scope: 'runs.read' },
  binRead: { node: true, scope: 'runs.read' },
  /** Compiled pipelines are written by the node that bundled them (or an admin). */
  binWrite: { node: true, scope: 'admin' },
  cacheRead: { node: true, scope: 'runs.read' },
  cacheWrite: { node: true, scope: 'runs.write' },
  /** Artifacts: a node token reaches its own run's only. */
  artifactRead: { node: true, scope: 'runs.read' },
  artifactWrite: { node: true, scope: 'admin' },
} as const satisfies Record<string, { node: boolean; scope: Scope }>;
export type CacheAccess = keyof typeof CACHE_ACCESS;

/** Throws 403 unless `caller` may do `access` (on `runId`'s artifacts, when given). */
export function assertAccess(caller: Caller, access: CacheAccess, runId?: string): void {
  const rule = CACHE_ACCESS[access];
  if (caller.kind === 'node') {
    if (!rule.node)
      throw new ApiError('forbidden', `node tokens cannot do this; it needs scope ${rule.scope}`);
    if (runId !== undefined && caller.runId !== runId)
      throw new ApiError('forbidden', `this node token belongs to run ${caller.runId}, not ${runId}`);
    return;
  }
  if (!hasScope(caller.scopes, rule.scope)) throw new ApiError('forbidden', `this needs scope ${rule.scope}`);
}

/** Middleware form of `assertAccess`, for routes whose rule does not depend on the path. */
export function allow(access: CacheAccess): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    assertAccess(c.get('caller'), access);
    await next();
  };
}

/**
 * Registering mirrors points the cache at URLs it will fetch: a service token that may write runs (the
 * controller registering a repository it saw in a webhook) or an admin, never a node or a person's token.
 */
export function assertMirrorAdmin(caller: Caller): void {
  if (hasScope(caller.scopes, 'admin')) return;
  if (caller.kind === 'service' && hasScope(caller.scopes, 'runs.write')) return;
  throw new ApiError(
    'forbidden',
    'registering or refreshing mirrors needs a service token with runs.write, or admin',
  );
}
