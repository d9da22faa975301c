import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CacheClient } from '@sparkwing/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadWorkingTree } from '../src/remote/upload.js';
import { startService, temp } from './remote-helpers.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.invalid',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.invalid',
};
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();

describe('uploadWorkingTree against a real cache process', () => {
  const token = `swa_${randomBytes(16).toString('hex')}`;
  let cacheService: { url: string; stop(): void };
  let controller: { url: string; stop(): void };
  let cache: CacheClient;
  // Mirrors of local bare repositories need the operator allow-list; this directory is it.
  const mirrorRoot = temp('mirrors');

  beforeAll(async () => {
    const signingKey = randomBytes(32).toString('hex');
    controller = await startService('controller', {
      SPARKWING_DATA_DIR: temp('controller'),
      SPARKWING_ADMIN_TOKEN: token,
      SPARKWING_SIGNING_KEY: signingKey,
    });
    cacheService = await startService('cache', {
      SPARKWING_DATA_DIR: temp('cache'),
      SPARKWING_CONTROLLER_URL: controller.url,
      SPARKWING_SIGNING_KEY: signingKey,
      SPARKWING_MIRROR_ALLOWLIST: mirrorRoot,
    });
    cache = new CacheClient({ baseUrl: cacheService.url, token });
  });

  afterAll(() => {
    cacheService?.stop();
    controller?.stop();
  });

  async function tree(ref: string): Promise<Record<string, string>> {
    const dest = temp('extract');
    await cache.downloadUpload(ref, dest);
    const out: Record<string, string> = {};
    for (const entry of readdirSync(dest, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = join(entry.parentPath, entry.name);
      out[relative(dest, full)] = readFileSync(full, 'utf8');
    }
    return out;
  }

  it('sends the whole tree first, then only changes and deletions on top of the previous upload', async () => {
    const repo = temp('repo');
    const home = temp('home');
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, '.gitignore'), 'build/\n');
    writeFileSync(join(repo, 'a.txt'), 'a1\n');
    writeFileSync(join(repo, 'gone.txt'), 'bye\n');
    mkdirSync(join(repo, 'build'));
    writeFileSync(join(repo, 'build', 'out.bin'), 'ignored\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'one');
    writeFileSync(join(repo, 'untracked.txt'), 'new\n');

    const first = await uploadWorkingTree(cache, repo, home);
    expect(first).toMatchObject({ kind: 'full', files_sent: 4, tree_files: 4 });
    expect(await tree(first.upload_ref)).toEqual({
      '.gitignore': 'build/\n',
      'a.txt': 'a1\n',
      'gone.txt': 'bye\n',
      'untracked.txt': 'new\n',
    });

    writeFileSync(join(repo, 'a.txt'), 'a2 (uncommitted)\n');
    rmSync(join(repo, 'gone.txt'));
    const second = await uploadWorkingTree(cache, repo, home);
    expect(second).toMatchObject({
      kind: 'delta-upload',
      base: first.upload_ref,
      files_sent: 1,
      deleted: 1,
      tree_files: 3,
    });
    expect(await tree(second.upload_ref)).toEqual({
      '.gitignore': 'build/\n',
      'a.txt': 'a2 (uncommitted)\n',
      'untracked.txt': 'new\n',
    });

    // A fresh checkout state (another machine): the same tree, sent whole, gets the same content address.
    const again = await uploadWorkingTree(cache, repo, temp('home'));
    expect(again).toMatchObject({ kind: 'full', upload_ref: second.upload_ref });
  });

  it('negotiates a commit the cache mirrors of origin and sends only what differs from it', async () => {
    const upstream = join(mirrorRoot, 'upstream.git');
    mkdirSync(upstream);
    git(upstream, 'init', '-q', '--bare', '-b', 'main');
    const repo = temp('clone');
    git(repo, 'init', '-q', '-b', 'main');
    for (let i = 0; i < 20; i++) writeFileSync(join(repo, `file-${i}.txt`), `content ${i}\n`);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'base');
    git(repo, 'remote', 'add', 'origin', upstream);
    git(repo, 'push', '-q', 'origin', 'main');
    await cache.registerRepo('clone', upstream);
    await cache.refreshRepo('clone');
    writeFileSync(join(repo, 'file-3.txt'), 'changed\n');
    rmSync(join(repo, 'file-4.txt'));

    const outcome = await uploadWorkingTree(cache, repo, temp('home'));
    expect(outcome).toMatchObject({
      kind: 'delta-commit',
      base: git(repo, 'rev-parse', 'HEAD'),
      files_sent: 1,
      deleted: 1,
      tree_files: 19,
    });
    const files = await tree(outcome.upload_ref);
    expect(Object.keys(files)).toHaveLength(19);
    expect(files['file-3.txt']).toBe('changed\n');
    expect(files['file-4.txt']).toBeUndefined();
  });
});
