import type { ChangesResponse } from '@sparkwing/contracts';
import type { Mirrors } from './mirrors.js';
import { gitError, runGit } from './run-git.js';
import { ApiError } from '@sparkwing/contracts';

/** More changed files than this and the answer is cut (`truncated`): callers treat the list as unknown. */
export const MAX_CHANGED_FILES = 10_000;

/**
 * Files changed on `head` since it diverged from `base` (`git diff --name-only merge-base(base, head) head`):
 * for a push `base` is the previous tip, for a pull request the base branch.
 */
export async function changedFiles(
  mirrors: Mirrors,
  name: string,
  baseRef: string,
  headRef: string,
): Promise<ChangesResponse> {
  const head = await mirrors.resolveCommit(name, headRef);
  const base = await mirrors.resolveCommit(name, baseRef);
  const dir = mirrors.dirOf(name);
  const mergeBase = await runGit(['merge-base', base, head], { cwd: dir });
  if (mergeBase.code !== 0)
    throw new ApiError('conflict', `${base.slice(0, 12)} and ${head.slice(0, 12)} share no history`);
  const from = mergeBase.stdout.toString('utf8').trim();
  const diff = await runGit(['diff', '--name-only', '--no-renames', '-z', from, head], {
    cwd: dir,
    maxStdout: 64 * 1024 * 1024,
  });
  if (diff.code !== 0) throw new ApiError('internal', `git diff failed: ${gitError(diff)}`);
  const files = diff.stdout.toString('utf8').split('\0').filter(Boolean);
  return {
    base,
    head,
    files: files.slice(0, MAX_CHANGED_FILES),
    truncated: files.length > MAX_CHANGED_FILES,
  };
}
