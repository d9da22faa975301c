import { join } from 'node:path';
import type { CacheStore } from '@sparkwing/contracts';

/** Where each store lives under the data dir; `tmp` is on the same filesystem so renames are atomic. */
export interface Layout {
  root: string;
  tmp: string;
  git: string;
  reposFile: string;
  dir(store: CacheStore): string;
}

export function createLayout(root: string): Layout {
  const dirs: Record<CacheStore, string> = {
    git: join(root, 'git'),
    uploads: join(root, 'uploads'),
    archives: join(root, 'archives'),
    bin: join(root, 'bin'),
    cache: join(root, 'cache'),
    artifacts: join(root, 'artifacts'),
    proxy: join(root, 'proxy'),
  };
  return {
    root,
    tmp: join(root, 'tmp'),
    git: dirs.git,
    reposFile: join(root, 'git', 'repos.json'),
    dir: (store) => dirs[store],
  };
}
