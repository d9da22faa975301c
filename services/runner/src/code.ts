import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheClient } from '@sparkwing/client';
import type { Run } from '@sparkwing/contracts';

export interface CheckedOutCode {
  dir: string;
  /** Removes a temporary checkout; a no-op for a local directory. */
  release(): void;
}

/** Where a node's code comes from: the local working tree, an uploaded tarball, or the git mirror. */
export async function checkoutCode(
  run: Run,
  nodeId: string,
  home: string,
  cache?: CacheClient,
): Promise<CheckedOutCode> {
  if (run.local_path) return { dir: run.local_path, release: () => undefined };
  if (!cache) throw new Error('this run needs code from the cache but no SPARKWING_CACHE_URL is configured');
  const dir = join(home, 'work', `${run.id}-${nodeId}-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const release = () => rmSync(dir, { recursive: true, force: true });
  try {
    if (run.upload_ref) await cache.downloadUpload(run.upload_ref, dir);
    else if (run.git)
      await cache.downloadArchive(run.git.repo_url, run.git.sha ?? run.git.branch ?? 'HEAD', dir);
    else throw new Error('the run has neither local_path, upload_ref nor git source');
  } catch (error) {
    release();
    throw error;
  }
  return { dir, release };
}
