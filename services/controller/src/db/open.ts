import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema>;

export interface OpenedDb {
  db: Db;
  sqlite: Database.Database;
}

/**
 * Finds the committed drizzle-kit migrations by walking up from this module: it is `src/db/` in tests
 * and `dist/` once bundled, and both sit under the package root that holds `drizzle/`.
 */
export function migrationsFolder(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i += 1) {
    const candidate = join(dir, 'drizzle');
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('cannot find the controller migrations folder (drizzle/) next to the package');
}

/**
 * Opens (creating if needed) the SQLite file in WAL mode with a busy timeout, so several processes can
 * share it (local mode runs concurrent `sparkwing run`s on one state.db), and applies migrations.
 */
export function openDatabase(path: string, options: { migrations?: string } = {}): OpenedDb {
  mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 10000');
  // WAL + NORMAL: a committed (acknowledged) write survives a process kill at any moment; only an OS crash
  // or power loss can roll back the last commits. FULL would add an fsync to every claim.
  sqlite.pragma('synchronous = NORMAL');
  const db = drizzle({ client: sqlite, schema });
  const folder = options.migrations ?? migrationsFolder();
  try {
    migrate(db, { migrationsFolder: folder });
  } catch (error) {
    // Two processes starting on a fresh file race to create tables; the loser re-checks once.
    if (!/already exists/.test((error as Error).message)) throw error;
    migrate(db, { migrationsFolder: folder });
  }
  return { db, sqlite };
}
