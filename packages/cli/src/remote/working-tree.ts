import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Thrown when the directory is not a git working tree (the CLI uploads what git considers the project). */
export class WorkingTreeError extends Error {}

function git(cwd: string, args: string[]): string {
  try {
    return execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 256 << 20,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new WorkingTreeError(
      `git ${args.join(' ')} failed in ${cwd}: ${stderr || (error as Error).message}`,
    );
  }
}

function lines0(text: string): string[] {
  return text.split('\0').filter((line) => line !== '');
}

export interface WorkingTree {
  root: string;
  /** Tracked files still present plus untracked files git does not ignore, sorted. */
  files: string[];
  /** `path → <file|symlink> <mode> <sha256>`: what a delta against an earlier upload compares. */
  digests: Map<string, string>;
  /** `git rev-list --max-count=64 HEAD`, newest first (empty before the first commit). */
  commits: string[];
  /** `origin`'s URL: the cache mirror it negotiates against, if registered there. */
  originUrl: string | null;
}

function digest(full: string): string | null {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(full);
  } catch {
    return null;
  }
  if (stat.isSymbolicLink()) {
    return `symlink 777 ${createHash('sha256').update(readlinkSync(full)).digest('hex')}`;
  }
  if (!stat.isFile()) return null;
  const mode = stat.mode & 0o111 ? '755' : '644';
  return `file ${mode} ${createHash('sha256').update(readFileSync(full)).digest('hex')}`;
}

/** Reads the working tree at `dir` as the cache will see it. */
export function readWorkingTree(dir: string): WorkingTree {
  const root = git(dir, ['rev-parse', '--show-toplevel']).trim();
  const digests = new Map<string, string>();
  for (const file of lines0(git(root, ['ls-files', '-z', '-co', '--exclude-standard']))) {
    if (digests.has(file)) continue;
    const value = digest(join(root, file));
    if (value) digests.set(file, value);
  }
  let commits: string[] = [];
  try {
    commits = git(root, ['rev-list', '--max-count=64', 'HEAD']).split('\n').filter(Boolean);
  } catch {
    commits = [];
  }
  let originUrl: string | null = null;
  try {
    originUrl = git(root, ['remote', 'get-url', 'origin']).trim() || null;
  } catch {
    originUrl = null;
  }
  return { root, files: [...digests.keys()].sort(), digests, commits, originUrl };
}

/** Files of `tree` that differ from commit `base` (added or changed) and those deleted since it. */
export function deltaFromCommit(tree: WorkingTree, base: string): { changed: string[]; deleted: string[] } {
  const changed = new Set(
    lines0(git(tree.root, ['diff', '-z', '--name-only', '--no-renames', '--diff-filter=d', base])),
  );
  for (const file of lines0(git(tree.root, ['ls-files', '-z', '-o', '--exclude-standard'])))
    changed.add(file);
  const deleted = lines0(
    git(tree.root, ['diff', '-z', '--name-only', '--no-renames', '--diff-filter=D', base]),
  );
  return { changed: [...changed].filter((file) => tree.digests.has(file)).sort(), deleted };
}

/** Files that differ from an earlier upload's digests, and those gone since. */
export function deltaFromDigests(
  tree: WorkingTree,
  previous: Record<string, string>,
): { changed: string[]; deleted: string[] } {
  const changed = tree.files.filter((file) => previous[file] !== tree.digests.get(file));
  const deleted = Object.keys(previous).filter((file) => !tree.digests.has(file));
  return { changed, deleted: deleted.sort() };
}
