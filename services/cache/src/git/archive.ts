import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { tempPath } from '../store/atomic.js';
import type { Layout } from '../store/layout.js';
import { gitEnv } from './run-git.js';

/** Runs git writing stdout to `target` atomically; rejects with stderr on failure. */
async function gitToFile(args: string[], cwd: string, target: string, tmpDir: string): Promise<void> {
  await mkdir(tmpDir, { recursive: true });
  const temp = tempPath(tmpDir, 'archive');
  const child = spawn('git', args, { cwd, env: gitEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
  try {
    await pipeline(child.stdout, createWriteStream(temp));
    const code = await exited;
    if (code !== 0) throw new Error(`git ${args[0]} failed: ${stderr.trim().slice(0, 500)}`);
    await mkdir(join(target, '..'), { recursive: true });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export type Archives = ReturnType<typeof createArchives>;

/** `git archive` tarballs cached per commit under `archives/<repo>/<sha>.tar.gz` (one build per key at a time). */
export function createArchives(layout: Layout) {
  const inflight = new Map<string, Promise<void>>();
  return {
    pathOf: (repo: string, sha: string) => join(layout.dir('archives'), repo, `${sha}.tar.gz`),

    /** Returns the cached file, building it first when missing; `hit` says whether it existed. */
    async ensure(repo: string, dir: string, sha: string): Promise<{ path: string; hit: boolean }> {
      const path = join(layout.dir('archives'), repo, `${sha}.tar.gz`);
      if (await stat(path).catch(() => null)) return { path, hit: true };
      const key = `${repo}/${sha}`;
      let job = inflight.get(key);
      if (!job) {
        job = gitToFile(['archive', '--format=tar.gz', sha], dir, path, layout.tmp).finally(() =>
          inflight.delete(key),
        );
        inflight.set(key, job);
      }
      await job;
      return { path, hit: false };
    },
  };
}
