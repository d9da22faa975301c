import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal, Scope } from '@sparkwing/contracts';

export interface Session {
  id: string;
  /** The person's own token; sent upstream, never to the browser. */
  token: string;
  principal: Principal;
  scopes: Scope[];
  createdAt: number;
  expiresAt: number;
}

export interface SessionStoreOptions {
  secret: string;
  ttlMs: number;
  now?: () => number;
}

/**
 * Server-side sessions kept in memory. The cookie carries `<id>.<hmac>` so a forged or truncated id is
 * refused before any lookup; the CSRF token is an HMAC of the id, so it needs no storage of its own.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly secret: string;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: SessionStoreOptions) {
    this.secret = options.secret;
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? Date.now;
  }

  create(input: { token: string; principal: Principal; scopes: Scope[]; tokenExpiresAt: number | null }): {
    session: Session;
    cookie: string;
  } {
    this.sweep();
    const id = randomBytes(32).toString('base64url');
    const createdAt = this.now();
    const ttlEnd = createdAt + this.ttlMs;
    const expiresAt = input.tokenExpiresAt === null ? ttlEnd : Math.min(ttlEnd, input.tokenExpiresAt);
    const session: Session = {
      id,
      token: input.token,
      principal: input.principal,
      scopes: input.scopes,
      createdAt,
      expiresAt,
    };
    this.sessions.set(id, session);
    return { session, cookie: `${id}.${this.sign('session', id)}` };
  }

  /** The live session a cookie value names, or null (unknown, forged or expired). */
  resolve(cookie: string | undefined): Session | null {
    if (!cookie) return null;
    const dot = cookie.lastIndexOf('.');
    if (dot <= 0) return null;
    const id = cookie.slice(0, dot);
    if (!safeEqual(cookie.slice(dot + 1), this.sign('session', id))) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return null;
    }
    return session;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  csrfToken(sessionId: string): string {
    return this.sign('csrf', sessionId);
  }

  checkCsrf(sessionId: string, presented: string | undefined): boolean {
    return presented !== undefined && safeEqual(presented, this.csrfToken(sessionId));
  }

  get size(): number {
    this.sweep();
    return this.sessions.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
  }

  private sign(purpose: string, value: string): string {
    return createHmac('sha256', this.secret).update(`${purpose}:${value}`).digest('base64url');
  }
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
