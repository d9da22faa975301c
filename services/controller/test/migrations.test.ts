import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrationsApplied, migrationsFolder, openDatabase } from '../src/db/open.js';

describe('opening the store', () => {
  let dir: string;
  let folder: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sparkwing-migrations-'));
    folder = join(dir, 'drizzle');
    cpSync(migrationsFolder(), folder, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = () => openDatabase(join(dir, 'state.db'), { migrations: folder });

  it('skips the migrations when the newest one is applied, and applies a newer one', () => {
    const first = open();
    expect(migrationsApplied(first.sqlite, folder)).toBe(true);
    first.sqlite.close();

    // Applied SQL is no longer read: an open with its file gone still succeeds.
    const journalPath = join(folder, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as {
      entries: { idx: number; version: string; when: number; tag: string; breakpoints: boolean }[];
    };
    const sqlFile = (tag: string) => join(folder, `${tag}.sql`);
    for (const entry of journal.entries) renameSync(sqlFile(entry.tag), `${sqlFile(entry.tag)}.away`);
    const second = open();
    expect(
      second.sqlite.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'runs'").get(),
    ).toEqual({ n: 1 });
    second.sqlite.close();
    for (const entry of journal.entries) renameSync(`${sqlFile(entry.tag)}.away`, sqlFile(entry.tag));

    // A migration newer than the store is applied on the next open.
    const last = journal.entries.at(-1)!;
    journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1, tag: '0001_probe' });
    writeFileSync(journalPath, JSON.stringify(journal));
    writeFileSync(sqlFile('0001_probe'), 'CREATE TABLE `probe` (`id` integer PRIMARY KEY);');
    const third = open();
    expect(migrationsApplied(third.sqlite, folder)).toBe(true);
    expect(
      third.sqlite.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'probe'").get(),
    ).toEqual({
      n: 1,
    });
    third.sqlite.close();
  });

  it('reports a fresh file as not migrated', () => {
    const { sqlite } = openDatabase(join(dir, 'other.db'), { migrations: folder });
    sqlite.exec('DROP TABLE __drizzle_migrations');
    expect(migrationsApplied(sqlite, folder)).toBe(false);
    sqlite.close();
  });
});
