import { createHash } from 'node:crypto';
import {
  ApiError,
  type IntrospectResponse,
  isNodeToken,
  type Principal,
  verifyNodeToken,
} from '@sparkwing/contracts';
import type { Context, MiddlewareHandler } from 'hono';

/**
 * Who is calling a service that does not own the token table (logs, cache, web): a node (its node token
 * verified offline with the signing key) or an API token the controller vouched for by introspection.
 */
export interface Caller {
  kind: Principal['kind'];
  name: string;
  /** The principal as the controller describes it (node tokens: built from the verified claims). */
  principal: Principal;
  /** Unix ms after which this answer must not be trusted (node tokens, expiring tokens), else null. */
  expiresAt: number | null;
  /** Set for node tokens: the run (and node) the token was issued for. */
  runId: string | null;
  nodeId: string | null;
  scopes: readonly string[];
}

export type CallerVariables = { caller: Caller };

/**
 * Asks the controller about a bearer that is not a node token. Resolves null (or throws an error whose
 * `status` is 401/403) when the token is not valid; any other throw means "cannot say right now" (503).
 */
export type Introspect = (token: string) => Promise<IntrospectResponse | null>;

export interface BearerAuthOptions {
  /** The controller's node-token key; without it node tokens go to introspection like any other. */
  signingKey?: string;
  /** Null: only node tokens are accepted. */
  introspect: Introspect | null;
  /** Unix milliseconds. */
  clock?: () => number;
  /**
   * How long an introspection answer is reused (capped by the token's own expiry). It bounds how long a
   * revoked token keeps working here, so keep it to a few seconds.
   */
  cacheTtlMs?: number;
  /** How long a rejected token is remembered, so a bad client cannot hammer the controller. */
  negativeTtlMs?: number;
  /** Also take the password of `Authorization: Basic` (what `git` sends). */
  allowBasic?: boolean;
  /** Realm of the `WWW-Authenticate` challenge on 401s from `middleware()`. */
  realm?: string;
}

/** Default reuse of an introspection answer: the most a revocation takes to reach logs, cache and web. */
export const INTROSPECTION_CACHE_MS = 2_000;
const MAX_CACHE_ENTRIES = 10_000;

interface Entry {
  caller: Caller | null;
  until: number;
}

/** Bearer from `Authorization: Bearer x`, or (when allowed) the password of Basic auth. */
export function bearerFrom(header: string | undefined, allowBasic = false): string | null {
  if (!header) return null;
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return null;
  const scheme = match[1]!.toLowerCase();
  if (scheme === 'bearer') return match[2]!;
  if (scheme === 'basic' && allowBasic) {
    const decoded = Buffer.from(match[2]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) || null : null;
  }
  return null;
}

/**
 * The one authenticator of the services that check bearers: node tokens offline, API tokens by
 * introspection with a short cache, concurrent lookups of one token sharing a call, and a negative cache.
 */
export class BearerAuthenticator {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Caller | null>>();
  private readonly clock: () => number;

  constructor(private readonly options: BearerAuthOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** The caller of a request; 401 without a valid bearer, 503 if the controller cannot be asked. */
  async authenticate(c: Context): Promise<Caller> {
    const token = bearerFrom(c.req.header('authorization'), this.options.allowBasic);
    if (!token) throw new ApiError('unauthorized', 'missing bearer token (Authorization: Bearer <token>)');
    return this.verify(token);
  }

  /** Resolves a raw token to its caller, or throws 401 / 503. */
  async verify(token: string): Promise<Caller> {
    const now = this.clock();
    if (isNodeToken(token) && this.options.signingKey) {
      const result = verifyNodeToken(this.options.signingKey, token, now);
      if (!result.ok)
        throw new ApiError('unauthorized', `node token rejected: ${result.reason.replace('_', ' ')}`);
      const { run_id, node_id, exp } = result.claims;
      const name = `${run_id}/${node_id}`;
      return {
        kind: 'node',
        name,
        principal: { kind: 'node', name, token_prefix: null, run_id, node_id },
        expiresAt: exp,
        runId: run_id,
        nodeId: node_id,
        scopes: [],
      };
    }
    if (!this.options.introspect) {
      throw new ApiError(
        'unauthorized',
        'only node tokens are accepted: no controller is configured to verify other tokens',
      );
    }
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return orReject(cached.caller);
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.introspect(key, token, now).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return orReject(await pending);
  }

  /** Middleware: sets `caller`, or answers 401 (with a challenge) before the route does any work. */
  middleware(): MiddlewareHandler<{ Variables: CallerVariables }> {
    return async (c, next) => {
      if (!bearerFrom(c.req.header('authorization'), this.options.allowBasic) && this.options.realm)
        c.header('WWW-Authenticate', `Basic realm="${this.options.realm}"`);
      c.set('caller', await this.authenticate(c));
      await next();
    };
  }

  private async introspect(key: string, token: string, now: number): Promise<Caller | null> {
    let answer: IntrospectResponse | null;
    try {
      answer = await this.options.introspect!(token);
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 401 || status === 403) answer = null;
      else if (error instanceof ApiError) throw error;
      else throw new ApiError('unavailable', `cannot verify token: ${(error as Error).message}`);
    }
    let caller: Caller | null = null;
    let until = now + (this.options.negativeTtlMs ?? INTROSPECTION_CACHE_MS);
    if (answer) {
      const { principal } = answer;
      caller = {
        kind: principal.kind,
        name: principal.name,
        principal,
        expiresAt: answer.expires_at,
        runId: principal.run_id,
        nodeId: principal.node_id,
        scopes: answer.scopes,
      };
      until = Math.min(
        now + (this.options.cacheTtlMs ?? INTROSPECTION_CACHE_MS),
        answer.expires_at ?? Number.POSITIVE_INFINITY,
      );
    }
    if (this.cache.size >= MAX_CACHE_ENTRIES) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, { caller, until });
    return caller;
  }
}

function orReject(caller: Caller | null): Caller {
  if (!caller) throw new ApiError('unauthorized', 'token not recognised (unknown, expired or revoked)');
  return caller;
}
