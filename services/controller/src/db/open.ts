import { existsSync, mkdirSync, readFileSync } from 'node:fs';
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
 * Whether the newest migration of the journal is already applied. drizzle's `migrate` reads and hashes every
 * SQL file and takes the write lock on each open; a one-shot `sparkwing run` on a current store needs neither.
 */
export function migrationsApplied(sqlite: Database.Database, folder: string): boolean {
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as {
    entries: { when: number }[];
  };
  const newest = Math.max(...journal.entries.map((entry) => entry.when));
  try {
    // drizzle records each applied migration with the journal's `when` as created_at.
    const row = sqlite.prepare('SELECT max(created_at) AS at FROM __drizzle_migrations').get() as
      | { at: number | null }
      | undefined;
    return row?.at != null && Number(row.at) >= newest;
  } catch {
    return false; // no migrations table yet: a fresh file
  }
}

/**
 * Opens (creating if needed) the SQLite file in WAL mode with a busy timeout, so several processes can
 * share it (local mode runs concurrent `sparkwing run`s on one state.db), and applies migrations unless
 * the file is already at the newest one.
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
  if (migrationsApplied(sqlite, folder)) return { db, sqlite };
  try {
    migrate(db, { migrationsFolder: folder });
  } catch (error) {
    // Two processes starting on a fresh file race to create tables; the loser re-checks once.
    if (!/already exists/.test((error as Error).message)) throw error;
    migrate(db, { migrationsFolder: folder });
  }
  return { db, sqlite };
}
