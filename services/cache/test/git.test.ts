import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  authHeaders,
  type CacheProcess,
  type FakeController,
  git,
  gitAsync,
  makeOrigin,
  nodeToken,
  startCache,
  startFakeController,
  tempDir,
} from './helpers.js';

let root: string;
let origin: { work: string; bare: string };
let controller: FakeController;
let cache: CacheProcess;
const auth = `http.extraHeader=Authorization: Bearer ${ADMIN_TOKEN}`;

function commit(message: string, files: Record<string, string>): string {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(origin.work, name), content);
  git(origin.work, 'add', '-A');
  git(origin.work, 'commit', '-q', '-m', message);
  git(origin.work, 'push', '-q', origin.bare, 'main');
  return git(origin.work, 'rev-parse', 'HEAD');
}

async function register(name: string, url: string) {
  return fetch(`${cache.url}/git/repos`, {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': 'application/json' },
    body: JSON.stringify({ name, url }),
  });
}

beforeAll(async () => {
  root = tempDir('git');
  origin = makeOrigin(root);
  writeFileSync(join(origin.work, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(origin.work, 'run.sh'), 0o755);
  writeFileSync(join(origin.work, 'bin.dat'), Buffer.from([0, 1, 2, 255, 254, 0]));
  commit('first', { 'README.md': '# demo\n' });
  controller = await startFakeController();
  // Local bare repositories are not https:// to a public host: the test allow-lists its own directory.
  cache = await startCache({
    SPARKWING_CONTROLLER_URL: controller.url,
    SPARKWING_FETCH_INTERVAL: '1h',
    SPARKWING_MIRROR_ALLOWLIST: root,
  });
  expect((await register('demo', origin.bare)).status).toBe(201);
});

afterAll(async () => {
  await cache?.stop();
  await controller?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('git mirror', () => {
  it('clones through the cache with protocol v2 and v0, modes and binaries intact', async () => {
    for (const version of ['2', '0']) {
      const dest = join(root, `clone-v${version}`);
      await gitAsync(
        root,
        '-c',
        auth,
        '-c',
        `protocol.version=${version}`,
        'clone',
        '-q',
        `${cache.url}/git/demo`,
        dest,
      );
      expect(git(dest, 'rev-parse', 'HEAD')).toBe(git(origin.work, 'rev-parse', 'HEAD'));
      expect(readFileSync(join(dest, 'bin.dat'))).toEqual(Buffer.from([0, 1, 2, 255, 254, 0]));
      expect(git(dest, 'ls-files', '-s', 'run.sh').startsWith('100755')).toBe(true);
    }
  });

  it('registering again is idempotent, another url conflicts, node tokens may not register', async () => {
    expect((await register('demo', origin.bare)).status).toBe(200);
    expect((await register('demo', join(root, 'elsewhere.git'))).status).toBe(409);
    const asNode = await fetch(`${cache.url}/git/repos`, {
      method: 'POST',
      headers: { ...authHeaders(nodeToken()), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'other', url: origin.bare }),
    });
    expect(asNode.status).toBe(403);
    expect((await register('../x', origin.bare)).status).toBe(400);
  });

  it('clones once when the same mirror is registered concurrently', async () => {
    const statuses = await Promise.all([1, 2, 3].map(() => register('concurrent', origin.bare)));
    expect(statuses.map((response) => response.status).sort()).toEqual([200, 200, 201]);
  });

  it('refuses pushes with 403', async () => {
    const dest = join(root, 'clone-push');
    await gitAsync(root, '-c', auth, 'clone', '-q', `${cache.url}/git/demo`, dest);
    writeFileSync(join(dest, 'new.txt'), 'x');
    git(dest, 'add', '-A');
    git(dest, 'commit', '-q', '-m', 'local');
    await expect(gitAsync(dest, '-c', auth, 'push', '-q', 'origin', 'main')).rejects.toThrow(/403/);
    const direct = await fetch(`${cache.url}/git/demo/git-receive-pack`, {
      method: 'POST',
      headers: authHeaders(),
    });
    expect(direct.status).toBe(403);
  });

  it('needs a token for git reads', async () => {
    const anonymous = await fetch(`${cache.url}/git/demo/info/refs?service=git-upload-pack`);
    expect(anonymous.status).toBe(401);
    const bogus = await fetch(`${cache.url}/git/demo/info/refs?service=git-upload-pack`, {
      headers: authHeaders('nope'),
    });
    expect(bogus.status).toBe(401);
    const node = await fetch(`${cache.url}/git/demo/info/refs?service=git-upload-pack`, {
      headers: authHeaders(nodeToken()),
    });
    expect(node.status).toBe(200);
  });

  it('shows a new upstream commit after a refresh', async () => {
    const sha = commit('second', { 'second.txt': 'two\n' });
    const refreshed = await fetch(`${cache.url}/git/repos/demo/refresh`, {
      method: 'POST',
      headers: authHeaders(),
    });
    expect(refreshed.status).toBe(200);
    const refs = await fetch(`${cache.url}/git/demo/info/refs?service=git-upload-pack`, {
      headers: authHeaders(),
    });
    expect(await refs.text()).toContain(sha);
  });

  it('fetches a sha the mirror lacks synchronously before answering', async () => {
    const dest = join(root, 'clone-sync');
    await gitAsync(root, '-c', auth, 'clone', '-q', `${cache.url}/git/demo`, dest);
    const sha = commit('third', { 'third.txt': 'three\n' });
    await gitAsync(dest, '-c', auth, 'fetch', '-q', 'origin', sha);
    expect(git(dest, 'cat-file', '-t', sha)).toBe('commit');
  });

  it('serves archives and files identical to git', async () => {
    const sha = git(origin.work, 'rev-parse', 'HEAD');
    const response = await fetch(`${cache.url}/archive?repo=demo&ref=${sha}`, { headers: authHeaders() });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-sparkwing-commit')).toBe(sha);
    const archive = Buffer.from(await response.arrayBuffer());
    const expected = execFileSync('git', ['archive', '--format=tar', sha], { cwd: origin.bare });
    const listing = (tar: Buffer, gz: boolean) =>
      execFileSync('tar', [gz ? '-tzvf' : '-tvf', '-'], { input: tar, encoding: 'utf8' });
    expect(listing(archive, true)).toBe(listing(expected, false));
    const again = await fetch(`${cache.url}/archive?repo=demo&ref=main`, { headers: authHeaders() });
    expect(Buffer.from(await again.arrayBuffer())).toEqual(archive);

    const file = await fetch(`${cache.url}/file?repo=demo&ref=main&path=bin.dat`, { headers: authHeaders() });
    expect(Buffer.from(await file.arrayBuffer())).toEqual(
      execFileSync('git', ['show', 'main:bin.dat'], { cwd: origin.bare }),
    );
    const missing = await fetch(`${cache.url}/file?repo=demo&ref=main&path=nope.txt`, {
      headers: authHeaders(),
    });
    expect(missing.status).toBe(404);
    const traversal = await fetch(`${cache.url}/file?repo=demo&ref=main&path=../etc/passwd`, {
      headers: authHeaders(),
    });
    expect(traversal.status).toBe(400);
    const badRef = await fetch(`${cache.url}/archive?repo=demo&ref=--output=/tmp/x`, {
      headers: authHeaders(),
    });
    expect(badRef.status).toBe(400);

    const metrics = await (await fetch(`${cache.url}/metrics`)).text();
    expect(metrics).toMatch(/sparkwing_gitcache_archives_served_total\{service="cache"\} 2/);
    expect(metrics).toMatch(/sparkwing_gitcache_cache_hits_total\{store="archives",service="cache"\} 1/);
    expect(metrics).toMatch(/sparkwing_gitcache_files_served_total\{service="cache"\} 1/);
  });

  it('lists the files changed on head since it diverged from base', async () => {
    const before = git(origin.work, 'rev-parse', 'HEAD');
    commit('changes-a', { 'src.ts': 'a\n' });
    const after = commit('changes-b', { 'README.md': '# changed\n', 'other.txt': 'x\n' });
    await fetch(`${cache.url}/git/repos/demo/refresh`, { method: 'POST', headers: authHeaders() });
    const response = await fetch(`${cache.url}/changes?repo=demo&base=${before}&head=${after}`, {
      headers: authHeaders(),
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toEqual({
      base: before,
      head: after,
      files: ['README.md', 'other.txt', 'src.ts'],
      truncated: false,
    });
    const unknown = await fetch(`${cache.url}/changes?repo=demo&base=${'f'.repeat(40)}&head=${after}`, {
      headers: authHeaders(),
    });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('not_found');
    const noAuth = await fetch(`${cache.url}/changes?repo=demo&base=${before}&head=${after}`);
    expect(noAuth.status).toBe(401);
  });

  it('reports a failing mirror in /git/repos and /health', async () => {
    const broken = join(root, 'broken.git');
    execFileSync('git', ['clone', '-q', '--bare', origin.bare, broken]);
    expect((await register('broken', broken)).status).toBe(201);
    rmSync(broken, { recursive: true, force: true });
    await fetch(`${cache.url}/git/repos/broken/refresh`, { method: 'POST', headers: authHeaders() });
    const list = (await (await fetch(`${cache.url}/git/repos`, { headers: authHeaders() })).json()) as {
      repos: { name: string; last_error: string | null; consecutive_failures: number }[];
    };
    const entry = list.repos.find((repo) => repo.name === 'broken')!;
    expect(entry.last_error).toBeTruthy();
    expect(entry.consecutive_failures).toBe(1);
    const health = (await (await fetch(`${cache.url}/health`)).json()) as {
      status: string;
      reasons: string[];
    };
    expect(health.status).toBe('degraded');
    expect(health.reasons.join('\n')).toContain('mirror broken');
  });
});

describe('background fetch loop', () => {
  it('picks up a new upstream commit on its own', async () => {
    const loopRoot = tempDir('loop');
    const other = makeOrigin(loopRoot);
    writeFileSync(join(other.work, 'a.txt'), 'a');
    git(other.work, 'add', '-A');
    git(other.work, 'commit', '-q', '-m', 'a');
    git(other.work, 'push', '-q', other.bare, 'main');
    const fast = await startCache({
      SPARKWING_CONTROLLER_URL: controller.url,
      SPARKWING_FETCH_INTERVAL: '300ms',
      SPARKWING_MIRROR_ALLOWLIST: loopRoot,
    });
    try {
      const created = await fetch(`${fast.url}/git/repos`, {
        method: 'POST',
        headers: { ...authHeaders(), 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'loop', url: other.bare }),
      });
      expect(created.status).toBe(201);
      writeFileSync(join(other.work, 'b.txt'), 'b');
      git(other.work, 'add', '-A');
      git(other.work, 'commit', '-q', '-m', 'b');
      git(other.work, 'push', '-q', other.bare, 'main');
      const sha = git(other.work, 'rev-parse', 'HEAD');
      let seen = '';
      for (let i = 0; i < 100 && !seen.includes(sha); i += 1) {
        await new Promise((done) => setTimeout(done, 100));
        const refs = await fetch(`${fast.url}/git/loop/info/refs?service=git-upload-pack`, {
          headers: authHeaders(),
        });
        seen = await refs.text();
      }
      expect(seen).toContain(sha);
    } finally {
      await fast.stop();
      rmSync(loopRoot, { recursive: true, force: true });
    }
  });
});
