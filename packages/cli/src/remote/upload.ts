import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CacheClient, ClientError } from '@sparkwing/client';
import { deltaFromCommit, deltaFromDigests, readWorkingTree, type WorkingTree } from './working-tree.js';

export interface UploadOutcome {
  upload_ref: string;
  /** `full`, `delta-upload` (on the previous upload of this tree) or `delta-commit` (on a mirrored commit). */
  kind: 'full' | 'delta-upload' | 'delta-commit';
  base: string | null;
  /** Files sent in the request body (the delta's changed files, or the whole tree). */
  files_sent: number;
  deleted: number;
  tree_files: number;
  stored_bytes: number;
}

interface LastUpload {
  upload_ref: string;
  digests: Record<string, string>;
}

/** Per-checkout record of the last upload, under $SPARKWING_HOME, so the next trigger sends only a delta. */
function statePath(home: string, tree: WorkingTree, cacheUrl: string): string {
  const key = createHash('sha256').update(`${cacheUrl}\n${tree.root}`).digest('hex').slice(0, 32);
  return join(home, 'uploads', `${key}.json`);
}

function readLast(path: string): LastUpload | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LastUpload;
  } catch {
    return null;
  }
}

/** A base the cache no longer has (evicted upload, unknown commit) is retried as a full upload. */
function baseGone(error: unknown): boolean {
  return (
    error instanceof ClientError &&
    (error.status === 404 || error.status === 400 || error.status === 409 || error.status === 422)
  );
}

/**
 * Uploads the working tree at `dir`: a delta on the previous upload of this checkout when the cache still has
 * it, else a delta on the newest commit the cache's mirror of `origin` has, else the whole tree.
 */
export async function uploadWorkingTree(
  cache: CacheClient,
  dir: string,
  home: string,
): Promise<UploadOutcome> {
  const tree = readWorkingTree(dir);
  const state = statePath(home, tree, cache.baseUrl);
  const remember = (ref: string) => {
    mkdirSync(join(home, 'uploads'), { recursive: true });
    writeFileSync(state, JSON.stringify({ upload_ref: ref, digests: Object.fromEntries(tree.digests) }));
  };
  const common = { tree_files: tree.files.length };

  const last = readLast(state);
  if (last) {
    const delta = deltaFromDigests(tree, last.digests);
    try {
      const answer = await cache.uploadTree(
        { cwd: tree.root, files: delta.changed, deletions: delta.deleted },
        { base: last.upload_ref },
      );
      remember(answer.upload_ref);
      return {
        ...common,
        upload_ref: answer.upload_ref,
        kind: 'delta-upload',
        base: last.upload_ref,
        files_sent: delta.changed.length,
        deleted: delta.deleted.length,
        stored_bytes: answer.size,
      };
    } catch (error) {
      if (!baseGone(error)) throw error;
    }
  }

  if (tree.originUrl && tree.commits.length > 0) {
    const base = await cache.negotiate(tree.originUrl, tree.commits).catch((error: unknown) => {
      if (baseGone(error)) return null;
      throw error;
    });
    if (base) {
      const delta = deltaFromCommit(tree, base);
      try {
        const answer = await cache.uploadTree(
          { cwd: tree.root, files: delta.changed, deletions: delta.deleted },
          { repo: tree.originUrl, base },
        );
        remember(answer.upload_ref);
        return {
          ...common,
          upload_ref: answer.upload_ref,
          kind: 'delta-commit',
          base,
          files_sent: delta.changed.length,
          deleted: delta.deleted.length,
          stored_bytes: answer.size,
        };
      } catch (error) {
        if (!baseGone(error)) throw error;
      }
    }
  }

  const answer = await cache.uploadTree({ cwd: tree.root, files: tree.files });
  remember(answer.upload_ref);
  return {
    ...common,
    upload_ref: answer.upload_ref,
    kind: 'full',
    base: null,
    files_sent: tree.files.length,
    deleted: 0,
    stored_bytes: answer.size,
  };
}
