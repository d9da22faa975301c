import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CacheClient, extractTarball, packTreeToBuffer } from '@sparkwing/client';
import { Header } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  type CacheProcess,
  type FakeController,
  git,
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
let client: CacheClient;
let firstCommit: string;

/** Every file and symlink under dir with its mode and content digest: the "exact tree". */
function snapshot(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (path === '.git') continue;
    const full = join(dir, path);
    if (entry.isDirectory()) Object.assign(out, snapshot(dir, path));
    else if (entry.isSymbolicLink()) out[path] = `link:${readlinkSync(full)}`;
    else
      out[path] = `${lstatSync(full).mode & 0o111 ? '755' : '644'}:${readFileSync(full).toString('base64')}`;
  }
  return out;
}

function trackedFiles(dir: string): string[] {
  return git(dir, 'ls-files', '--cached', '--others', '--exclude-standard')
    .split('\n')
    .filter((file) => file && existsSync(join(dir, file)));
}

async function downloaded(ref: string): Promise<Record<string, string>> {
  const dest = tempDir('dl');
  await client.downloadUpload(ref, dest);
  const snap = snapshot(dest);
  rmSync(dest, { recursive: true, force: true });
  return snap;
}

beforeAll(async () => {
  root = tempDir('uploads');
  origin = makeOrigin(root);
  mkdirSync(join(origin.work, 'scripts'));
  writeFileSync(join(origin.work, 'scripts/build.sh'), '#!/bin/sh\necho build\n');
  chmodSync(join(origin.work, 'scripts/build.sh'), 0o755);
  writeFileSync(join(origin.work, 'blob.bin'), randomBytes(4096));
  writeFileSync(join(origin.work, 'gone.txt'), 'to be deleted\n');
  writeFileSync(join(origin.work, 'README.md'), '# hi\n');
  symlinkSync('README.md', join(origin.work, 'readme-link'));
  git(origin.work, 'add', '-A');
  git(origin.work, 'commit', '-q', '-m', 'one');
  git(origin.work, 'push', '-q', origin.bare, 'main');
  firstCommit = git(origin.work, 'rev-parse', 'HEAD');
  controller = await startFakeController();
  cache = await startCache({
    SPARKWING_CONTROLLER_URL: controller.url,
    SPARKWING_FETCH_INTERVAL: '1h',
    SPARKWING_UPLOAD_MAX_BYTES: '200000',
    SPARKWING_MIRROR_ALLOWLIST: root,
  });
  client = new CacheClient({ baseUrl: cache.url, token: ADMIN_TOKEN });
  await client.registerRepo('app', origin.bare);
});

afterAll(async () => {
  await cache?.stop();
  await controller?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('code uploads', () => {
  it('stores a full tree and gives it back exactly (modes, binaries, symlinks)', async () => {
    const result = await client.uploadTree({ cwd: origin.work, files: trackedFiles(origin.work) });
    expect(result.upload_ref).toMatch(/^up_[0-9a-f]{64}$/);
    expect(result.files).toBe(5);
    expect(await downloaded(result.upload_ref)).toEqual(snapshot(origin.work));
    const again = await client.uploadTree({ cwd: origin.work, files: trackedFiles(origin.work) });
    expect(again.upload_ref).toBe(result.upload_ref);
  });

  it('negotiates the newest commit the mirror has', async () => {
    const unknown = 'f'.repeat(40);
    expect(await client.negotiate('app', [unknown, firstCommit])).toBe(firstCommit);
    expect(await client.negotiate(origin.bare, [unknown])).toBeNull();
    await expect(client.negotiate('nope', [firstCommit])).rejects.toMatchObject({ status: 404 });
  });

  it('applies a delta with deletions on top of a base commit and matches the full upload', async () => {
    writeFileSync(join(origin.work, 'scripts/build.sh'), '#!/bin/sh\necho build v2\n');
    writeFileSync(join(origin.work, 'new.bin'), randomBytes(1000));
    chmodSync(join(origin.work, 'README.md'), 0o755);
    unlinkSync(join(origin.work, 'gone.txt'));
    const changed = ['scripts/build.sh', 'new.bin', 'README.md'];
    const base = await client.negotiate('app', [firstCommit]);
    const delta = await client.uploadTree(
      { cwd: origin.work, files: changed, deletions: ['gone.txt'] },
      { repo: 'app', base: base! },
    );
    const full = await client.uploadTree({ cwd: origin.work, files: trackedFiles(origin.work) });
    expect(delta.upload_ref).toBe(full.upload_ref);
    const tree = await downloaded(delta.upload_ref);
    expect(tree).toEqual(snapshot(origin.work));
    expect(tree['gone.txt']).toBeUndefined();
    expect(tree['README.md']!.startsWith('755:')).toBe(true);

    writeFileSync(join(origin.work, 'later.txt'), 'later\n');
    const bytes = await packTreeToBuffer({ cwd: origin.work, files: ['later.txt'] });
    const onUpload = await client.upload(bytes, { base: delta.upload_ref, deletions: ['new.bin'] });
    const expected = snapshot(origin.work);
    delete expected['new.bin'];
    expect(await downloaded(onUpload.upload_ref)).toEqual(expected);
  });

  it('refuses traversal and absolute paths with 400 and stores nothing', async () => {
    const uploadsDir = join(cache.dataDir, 'uploads');
    const before = readdirSync(uploadsDir).sort();
    for (const path of ['../escape.txt', '/abs.txt', 'a/../../escape.txt']) {
      const header = Buffer.alloc(512);
      new Header({ path, type: 'File', mode: 0o644, size: 3, mtime: new Date(0) }).encode(header);
      const body = gzipSync(
        Buffer.concat([header, Buffer.from('bad'), Buffer.alloc(509), Buffer.alloc(1024)]),
      );
      await expect(client.upload(body)).rejects.toMatchObject({ status: 400 });
    }
    const manifest = Buffer.from('../outside\n');
    const header = Buffer.alloc(512);
    new Header({
      path: '.sparkwing-deletions',
      type: 'File',
      mode: 0o644,
      size: manifest.length,
      mtime: new Date(0),
    }).encode(header);
    const pad = Buffer.alloc(512 - manifest.length);
    const badDeletion = gzipSync(Buffer.concat([header, manifest, pad, Buffer.alloc(1024)]));
    await expect(client.upload(badDeletion, { repo: 'app', base: firstCommit })).rejects.toMatchObject({
      status: 400,
    });
    await expect(client.upload(Buffer.from('not a tarball at all'))).rejects.toMatchObject({ status: 400 });
    expect(readdirSync(uploadsDir).sort()).toEqual(before);
    expect(readdirSync(join(root)).includes('escape.txt')).toBe(false);
    expect(readdirSync(join(cache.dataDir, 'tmp'))).toEqual([]);
  });

  it('refuses an oversized upload with 413', async () => {
    const big = join(root, 'big');
    mkdirSync(big);
    writeFileSync(join(big, 'noise.bin'), randomBytes(300_000));
    await expect(client.uploadTree({ cwd: big, files: ['noise.bin'] })).rejects.toMatchObject({
      status: 413,
    });
    // A few KiB of gzip that would unpack to 4 MiB: past 16x the upload limit.
    writeFileSync(join(big, 'zeros.bin'), Buffer.alloc(4 * 1024 * 1024));
    await expect(client.uploadTree({ cwd: big, files: ['zeros.bin'] })).rejects.toMatchObject({
      status: 413,
    });
    expect(readdirSync(join(cache.dataDir, 'tmp'))).toEqual([]);
  });

  it('needs a token, and accepts node tokens for reads', async () => {
    const anonymous = new CacheClient({ baseUrl: cache.url });
    await expect(anonymous.negotiate('app', [firstCommit])).rejects.toMatchObject({ status: 401 });
    const node = new CacheClient({ baseUrl: cache.url, token: nodeToken() });
    const full = await client.uploadTree({ cwd: origin.work, files: trackedFiles(origin.work) });
    const response = await node.getUpload(full.upload_ref);
    expect(response.headers.get('content-type')).toBe('application/gzip');
    const dest = tempDir('node');
    await extractTarball(response.body!, dest);
    expect(snapshot(dest)).toEqual(snapshot(origin.work));
    rmSync(dest, { recursive: true, force: true });
    await expect(node.getUpload(`up_${'0'.repeat(64)}`)).rejects.toMatchObject({ status: 404 });
  });
});
