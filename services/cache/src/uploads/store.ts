import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { packTree, extractTarball, safeTreePath, UnsafeTarError } from '@sparkwing/client';
import { ApiError, UPLOAD_REF_RE, type UploadResponse } from '@sparkwing/contracts';
import type { Mirrors } from '../git/mirrors.js';
import { gitEnv } from '../git/run-git.js';
import { sizeLimiter, tempPath, touch, writeAtomic } from '../store/atomic.js';
import type { Layout } from '../store/layout.js';
import { listTree, treeRef } from './tree.js';

/** How much larger than the upload limit an unpacked tree may be (source compresses ~4-10×). */
const EXPANSION_LIMIT = 16;

export interface IngestOptions {
  repo?: string;
  base?: string;
}

export type Uploads = ReturnType<typeof createUploads>;

function asBadRequest(error: unknown): never {
  if (error instanceof UnsafeTarError)
    throw new ApiError('bad_request', `rejected tarball: ${error.message}`);
  throw error;
}

/** Deletes a tree path without following symlinked parents out of the tree. */
async function deletePath(root: string, rel: string): Promise<void> {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i += 1) {
    const parent = await lstat(join(root, ...parts.slice(0, i))).catch(() => null);
    if (!parent) return;
    if (parent.isSymbolicLink())
      throw new ApiError('bad_request', `deletion "${rel}" goes through a symlink`);
  }
  await rm(join(root, rel), { recursive: true, force: true });
}

/** Code uploads: full or delta tarballs materialised into a tree, stored once per content address. */
export function createUploads(deps: { layout: Layout; mirrors: Mirrors; maxBytes: number }) {
  const { layout, mirrors } = deps;
  const pathOf = (ref: string) => join(layout.dir('uploads'), `${ref}.tar.gz`);

  async function materialiseBase(work: string, options: IngestOptions): Promise<void> {
    const base = options.base!;
    if (UPLOAD_REF_RE.test(base)) {
      const file = pathOf(base);
      if (!(await stat(file).catch(() => null)))
        throw new ApiError('not_found', `base upload ${base} not found`);
      await extractTarball(createReadStream(file), work);
      return;
    }
    if (!options.repo) throw new ApiError('bad_request', 'a commit base needs repo');
    const { name, dir } = await mirrors.resolve(options.repo);
    if (!(await mirrors.ensureCommits(name, [base]))) {
      throw new ApiError('not_found', `base commit ${base} is not in mirror "${name}" even after a fetch`);
    }
    const child = spawn('git', ['archive', '--format=tar', base], {
      cwd: dir,
      env: gitEnv(),
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await extractTarball(child.stdout, work);
  }

  return {
    pathOf,
    maxBytes: deps.maxBytes,

    async ingest(body: Readable, options: IngestOptions): Promise<UploadResponse> {
      await mkdir(layout.tmp, { recursive: true });
      const work = tempPath(layout.tmp, 'upload');
      try {
        if (options.base) await materialiseBase(work, options);
        const counter = { bytes: 0 };
        const limited = body.pipe(sizeLimiter(deps.maxBytes, counter));
        body.on('error', (error) => limited.destroy(error));
        const maxBytes = deps.maxBytes * EXPANSION_LIMIT;
        const { deletions } = await extractTarball(limited, work, { readDeletions: true, maxBytes }).catch(
          (error) => {
            if (
              error instanceof UnsafeTarError &&
              /larger than the limit|expands to more than/.test(error.message)
            ) {
              throw new ApiError(
                'payload_too_large',
                `upload exceeds ${deps.maxBytes} bytes (or ${maxBytes} unpacked)`,
              );
            }
            return asBadRequest(error);
          },
        );
        for (const rel of deletions) await deletePath(work, safeTreePath(rel));
        const entries = await listTree(work);
        const ref = treeRef(entries);
        const target = pathOf(ref);
        let size = (await stat(target).catch(() => null))?.size;
        if (size === undefined) {
          const files = entries.map((entry) => entry.path);
          size = await writeAtomic(packTree({ cwd: work, files }), target, {
            tmpDir: layout.tmp,
            maxBytes: Number.MAX_SAFE_INTEGER,
          });
        } else {
          touch(target);
        }
        return { upload_ref: ref, size, files: entries.length };
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
  };
}
