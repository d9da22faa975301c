import { ApiError, type CreateTokenRequest, type Scope, type TokenInfo } from '@sparkwing/contracts';
import { asc, eq, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/open.js';
import { tokens } from '../db/schema.js';
import { iso } from '../queue/mappers.js';
import { generateApiToken, hashToken, tokenPrefix } from './token-hash.js';

type TokenRow = typeof tokens.$inferSelect;

function toInfo(row: TokenRow): TokenInfo {
  return {
    prefix: row.prefix,
    name: row.name,
    kind: row.kind,
    scopes: row.scopes as Scope[],
    created_at: iso(row.createdAt)!,
    last_used_at: iso(row.lastUsedAt),
  };
}

/** `last_used_at` is refreshed at most this often, so reads do not turn every request into a write. */
const TOUCH_EVERY_MS = 60_000;

/** Long-lived API tokens, stored only as SHA-256 hashes. */
export class TokenStore {
  /** Every authenticated request looks its token up: prepared once, not rebuilt per request. */
  private readonly byHash;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    this.byHash = db
      .select()
      .from(tokens)
      .where(eq(tokens.hash, sql.placeholder('hash')))
      .prepare();
  }

  /** Creates a token; the returned `token` is the only copy of the secret. */
  create(request: CreateTokenRequest, secret: string = generateApiToken()): TokenInfo & { token: string } {
    const prefix = tokenPrefix(secret);
    const row = {
      prefix,
      hash: hashToken(secret),
      name: request.name,
      kind: request.kind,
      scopes: [...new Set(request.scopes)],
      createdAt: this.clock.now(),
      lastUsedAt: null,
    };
    const clash = this.db
      .select({ prefix: tokens.prefix })
      .from(tokens)
      .where(eq(tokens.prefix, prefix))
      .get();
    if (clash) throw new ApiError('conflict', `a token with prefix ${prefix} already exists`);
    this.db.insert(tokens).values(row).run();
    return { ...toInfo(row), token: secret };
  }

  list(): TokenInfo[] {
    return this.db.select().from(tokens).orderBy(asc(tokens.createdAt), asc(tokens.prefix)).all().map(toInfo);
  }

  delete(prefix: string): boolean {
    return this.db.delete(tokens).where(eq(tokens.prefix, prefix)).run().changes > 0;
  }

  /** The token's record if the secret is known. */
  verify(secret: string): TokenInfo | null {
    const row = this.byHash.get({ hash: hashToken(secret) });
    if (!row) return null;
    const now = this.clock.now();
    if (row.lastUsedAt === null || now - row.lastUsedAt > TOUCH_EVERY_MS) {
      this.db.update(tokens).set({ lastUsedAt: now }).where(eq(tokens.prefix, row.prefix)).run();
    }
    return toInfo(row);
  }

  hasAdmin(): boolean {
    return this.list().some((t) => t.scopes.includes('admin'));
  }

  /** Sets a stored token's scopes to `scopes` if they differ; true when it changed. */
  narrowScopes(secret: string, scopes: Scope[]): boolean {
    const row = this.byHash.get({ hash: hashToken(secret) });
    if (!row || JSON.stringify([...row.scopes].sort()) === JSON.stringify([...scopes].sort())) return false;
    this.db.update(tokens).set({ scopes }).where(eq(tokens.prefix, row.prefix)).run();
    return true;
  }

  isStored(secret: string): boolean {
    return this.byHash.get({ hash: hashToken(secret) }) !== undefined;
  }
}
