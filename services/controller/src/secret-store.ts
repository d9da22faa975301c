import { asc, eq } from 'drizzle-orm';
import type { Clock } from './clock.js';
import type { Db } from './db/open.js';
import { secrets } from './db/schema.js';
import { iso } from './queue/mappers.js';
import { SecretBox } from './secret-box.js';

export interface SecretInfo {
  name: string;
  created_at: string;
  updated_at: string;
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

  /** Creates or replaces a secret. */
  put(name: string, value: string): SecretInfo {
    const now = this.clock.now();
    const sealed = this.box.seal(name, value);
    this.db
      .insert(secrets)
      .values({ name, sealed, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: secrets.name, set: { sealed, updatedAt: now } })
      .run();
    const row = this.db.select().from(secrets).where(eq(secrets.name, name)).get()!;
    return { name, created_at: iso(row.createdAt)!, updated_at: iso(row.updatedAt)! };
  }

  list(): SecretInfo[] {
    return this.db
      .select({ name: secrets.name, createdAt: secrets.createdAt, updatedAt: secrets.updatedAt })
      .from(secrets)
      .orderBy(asc(secrets.name))
      .all()
      .map((r) => ({ name: r.name, created_at: iso(r.createdAt)!, updated_at: iso(r.updatedAt)! }));
  }

  delete(name: string): boolean {
    return this.db.delete(secrets).where(eq(secrets.name, name)).run().changes > 0;
  }

  /** The plaintext, or null if there is no such secret. Throws if it was sealed with another key. */
  reveal(name: string): string | null {
    const row = this.db.select().from(secrets).where(eq(secrets.name, name)).get();
    return row ? this.box.open(name, row.sealed) : null;
  }
}
