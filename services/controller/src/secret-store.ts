import type { CreateSecretRequest, SecretInfo } from '@sparkwing/contracts';
import { asc, eq } from 'drizzle-orm';
import type { Clock } from './clock.js';
import type { Db } from './db/open.js';
import { secrets } from './db/schema.js';
import { iso } from './queue/mappers.js';
import { SecretBox } from './secret-box.js';

export type { SecretInfo };

/** Who may read a secret: null lists mean no restriction. */
export interface SecretScope {
  pipelines: string[] | null;
  branches: string[] | null;
}

type SecretRow = typeof secrets.$inferSelect;

function toInfo(row: Omit<SecretRow, 'sealed'>): SecretInfo {
  return {
    name: row.name,
    pipelines: row.pipelines ?? null,
    branches: row.branches ?? null,
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
  };
}

/** Pipeline secrets, encrypted at rest with AES-256-GCM; values leave only through `reveal`. */
export class SecretStore {
  private readonly box: SecretBox;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    secretKey: string,
  ) {
    this.box = new SecretBox(secretKey);
  }

  /** Creates or replaces a secret; its scope is replaced too (absent lists lift the restriction). */
  put(request: CreateSecretRequest): SecretInfo {
    const { name, value } = request;
    const now = this.clock.now();
    const sealed = this.box.seal(name, value);
    const scope = { pipelines: request.pipelines ?? null, branches: request.branches ?? null };
    this.db
      .insert(secrets)
      .values({ name, sealed, ...scope, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: secrets.name, set: { sealed, ...scope, updatedAt: now } })
      .run();
    return toInfo(this.db.select().from(secrets).where(eq(secrets.name, name)).get()!);
  }

  list(): SecretInfo[] {
    return this.db
      .select({
        name: secrets.name,
        pipelines: secrets.pipelines,
        branches: secrets.branches,
        createdAt: secrets.createdAt,
        updatedAt: secrets.updatedAt,
      })
      .from(secrets)
      .orderBy(asc(secrets.name))
      .all()
      .map(toInfo);
  }

  delete(name: string): boolean {
    return this.db.delete(secrets).where(eq(secrets.name, name)).run().changes > 0;
  }

  /** The plaintext, or null if there is no such secret. Throws if it was sealed with another key. */
  reveal(name: string): string | null {
    const row = this.db.select().from(secrets).where(eq(secrets.name, name)).get();
    return row ? this.box.open(name, row.sealed) : null;
  }

  /** The scope alone (nothing is decrypted), or null if there is no such secret. */
  scope(name: string): SecretScope | null {
    const row = this.db
      .select({ pipelines: secrets.pipelines, branches: secrets.branches })
      .from(secrets)
      .where(eq(secrets.name, name))
      .get();
    return row ? { pipelines: row.pipelines ?? null, branches: row.branches ?? null } : null;
  }
}
