import type { Db } from '../db/open.js';
import { repos } from '../db/schema.js';
import type { RepoRef } from './github-delivery.js';

/** Remembers a repository seen in a delivery: schedules run on its default branch. */
export function rememberRepo(db: Db, repo: RepoRef, now: number): void {
  db.insert(repos)
    .values({
      fullName: repo.fullName,
      cloneUrl: repo.cloneUrl,
      defaultBranch: repo.defaultBranch,
      firstSeen: now,
      lastSeen: now,
    })
    .onConflictDoUpdate({
      target: repos.fullName,
      set: { cloneUrl: repo.cloneUrl, defaultBranch: repo.defaultBranch, lastSeen: now },
    })
    .run();
}

export function listRepos(db: Db): RepoRef[] {
  return db
    .select()
    .from(repos)
    .all()
    .map((r) => ({ fullName: r.fullName, cloneUrl: r.cloneUrl, defaultBranch: r.defaultBranch }));
}
