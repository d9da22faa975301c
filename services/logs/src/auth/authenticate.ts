import {
  ApiError,
  hasScope,
  type IntrospectResponse,
  isNodeToken,
  type Scope,
  verifyNodeToken,
} from '@sparkwing/contracts';
import type { Context } from 'hono';

/** Who is calling: a node (offline-verified node token) or a bearer the controller vouched for. */
export type Caller =
  | { kind: 'node'; runId: string; nodeId: string }
  | { kind: 'bearer'; name: string; scopes: readonly string[] };

/** Asks the controller about a non-node bearer; null when the token is not valid. */
export type Introspect = (token: string) => Promise<IntrospectResponse | null> | IntrospectResponse | null;

export interface AuthenticatorOptions {
  signingKey: string;
  introspect: Introspect | null;
  clock: () => number;
  /** How long an introspection answer is trusted (capped by the token's own expiry). */
  cacheTtlMs?: number;
  /** How long a rejected token is remembered, so a bad client cannot hammer the controller. */
  negativeTtlMs?: number;
}

interface CacheEntry {
  caller: Caller | null;
  until: number;
}

const MAX_CACHE_ENTRIES = 10_000;

export class Authenticator {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<Caller | null>>();

  constructor(private readonly options: AuthenticatorOptions) {}

  /** The caller of a request; 401 without a valid bearer, 503 if the controller cannot be asked. */
  async authenticate(c: Context): Promise<Caller> {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ApiError('unauthorized', 'missing bearer token (Authorization: Bearer <token>)');
    const token = match[1]!;
    const now = this.options.clock();
    if (isNodeToken(token)) {
      const result = verifyNodeToken(this.options.signingKey, token, now);
      if (!result.ok)
        throw new ApiError('unauthorized', `node token rejected: ${result.reason.replace('_', ' ')}`);
      return { kind: 'node', runId: result.claims.run_id, nodeId: result.claims.node_id };
    }
    const cached = this.cache.get(token);
    if (cached && cached.until > now) return this.orReject(cached.caller);
    // Concurrent requests with the same uncached token share one introspection call.
    let pending = this.inflight.get(token);
    if (!pending) {
      pending = this.introspect(token, now).finally(() => this.inflight.delete(token));
      this.inflight.set(token, pending);
    }
    return this.orReject(await pending);
  }

  private orReject(caller: Caller | null): Caller {
    if (!caller) throw new ApiError('unauthorized', 'token not recognised');
    return caller;
  }

  private async introspect(token: string, now: number): Promise<Caller | null> {
    if (!this.options.introspect) {
      throw new ApiError(
        'unauthorized',
        'only node tokens are accepted: no controller is configured to verify other tokens',
      );
    }
    let answer: IntrospectResponse | null;
    try {
      answer = await this.options.introspect(token);
    } catch (error) {
      throw new ApiError('unavailable', `cannot verify token: ${(error as Error).message}`);
    }
    let caller: Caller | null = null;
    let until = now + (this.options.negativeTtlMs ?? 5_000);
    if (answer) {
      const { principal } = answer;
      caller =
        principal.kind === 'node' && principal.run_id && principal.node_id
          ? { kind: 'node', runId: principal.run_id, nodeId: principal.node_id }
          : { kind: 'bearer', name: principal.name, scopes: answer.scopes };
      until = Math.min(
        now + (this.options.cacheTtlMs ?? 30_000),
        answer.expires_at ?? Number.POSITIVE_INFINITY,
      );
    }
    if (this.cache.size >= MAX_CACHE_ENTRIES) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(token, { caller, until });
    return caller;
  }
}

/** Reads need `scope`; a node token may read only its own node (`nodeId` undefined = a whole run: no). */
export function authorize(
  caller: Caller,
  scope: Scope,
  target: { runId?: string; nodeId?: string } = {},
): void {
  if (caller.kind === 'node') {
    if (target.runId !== undefined && target.nodeId !== undefined) {
      if (caller.runId === target.runId && caller.nodeId === target.nodeId) return;
      throw new ApiError(
        'forbidden',
        `node token is for run ${caller.runId} node ${caller.nodeId}, not run ${target.runId} node ${target.nodeId}`,
      );
    }
    throw new ApiError('forbidden', `node tokens cannot do this; it needs scope ${scope}`);
  }
  if (!hasScope(caller.scopes, scope)) throw new ApiError('forbidden', `this needs scope ${scope}`);
}
