import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import {
  appendDeletions,
  extractTarball,
  packTree,
  packTreeToBuffer,
  safeTreePath,
  UnsafeTarError,
} from '../src/index.js';

const dirs: string[] = [];
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sw-cache-tar-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function entry(
  path: string,
  body: string,
  type: 'File' | 'Link' | 'SymbolicLink' = 'File',
  linkpath?: string,
): Buffer {
  const header = Buffer.alloc(512);
  const data = Buffer.from(type === 'File' ? body : '');
  new Header({ path, type, mode: 0o644, size: data.length, linkpath, mtime: new Date(0) }).encode(header);
  return Buffer.concat([header, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

function archive(...entries: Buffer[]): Buffer {
  return gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));
}

describe('packTree / extractTarball', () => {
  it('round-trips files, modes, binaries, nested dirs and symlinks deterministically', async () => {
    const src = temp();
    mkdirSync(join(src, 'a/b'), { recursive: true });
    writeFileSync(join(src, 'a/b/tool.sh'), '#!/bin/sh\n');
    chmodSync(join(src, 'a/b/tool.sh'), 0o755);
    writeFileSync(join(src, 'data.bin'), Buffer.from([0, 255, 1, 254]));
    writeFileSync(join(src, `${'long-name-'.repeat(20)}.txt`), 'long');
    symlinkSync('data.bin', join(src, 'link'));
    const files = ['link', 'data.bin', 'a/b/tool.sh', `${'long-name-'.repeat(20)}.txt`];
    const first = await packTreeToBuffer({ cwd: src, files });
    expect(await packTreeToBuffer({ cwd: src, files: [...files].reverse() })).toEqual(first);
    const dest = temp();
    const result = await extractTarball(packTree({ cwd: src, files }), dest);
    expect(result.files.sort()).toEqual([...files].sort());
    expect(lstatSync(join(dest, 'a/b/tool.sh')).mode & 0o777).toBe(0o755);
    expect(lstatSync(join(dest, 'data.bin')).mode & 0o111).toBe(0);
    expect(readFileSync(join(dest, 'data.bin'))).toEqual(Buffer.from([0, 255, 1, 254]));
    expect(readlinkSync(join(dest, 'link'))).toBe('data.bin');
    expect(readFileSync(join(dest, `${'long-name-'.repeat(20)}.txt`), 'utf8')).toBe('long');
  });

  it('reads the deletions manifest instead of writing it when asked', async () => {
    const src = temp();
    writeFileSync(join(src, 'keep.txt'), 'k');
    const bytes = await packTreeToBuffer({
      cwd: src,
      files: ['keep.txt'],
      deletions: ['old.txt', 'dir/gone'],
    });
    const dest = temp();
    const result = await extractTarball(bytes, dest, { readDeletions: true });
    expect(result.deletions).toEqual(['old.txt', 'dir/gone']);
    expect(existsSync(join(dest, '.sparkwing-deletions'))).toBe(false);
    const appended = appendDeletions(await packTreeToBuffer({ cwd: src, files: ['keep.txt'] }), ['x/y']);
    expect((await extractTarball(appended, temp(), { readDeletions: true })).deletions).toEqual(['x/y']);
    expect(gunzipSync(appended).length % 512).toBe(0);
  });

  it('refuses traversal, absolute paths, hard links and writing through symlinks', async () => {
    const cases = [
      archive(entry('../evil.txt', 'x')),
      archive(entry('/tmp/evil.txt', 'x')),
      archive(entry('a/../../evil.txt', 'x')),
      archive(entry('hard', '', 'Link', '/etc/passwd')),
      archive(entry('out', '', 'SymbolicLink', '/tmp'), entry('out/evil.txt', 'x')),
    ];
    for (const bytes of cases) {
      const dest = temp();
      await expect(extractTarball(bytes, join(dest, 'tree'))).rejects.toBeInstanceOf(UnsafeTarError);
      expect(existsSync(join(dest, 'evil.txt'))).toBe(false);
    }
    expect(existsSync('/tmp/evil.txt')).toBe(false);
    await expect(extractTarball(Buffer.from('garbage that is not a tar'), temp())).rejects.toBeInstanceOf(
      UnsafeTarError,
    );
  });

  it('normalises safe paths and rejects unsafe ones', () => {
    expect(safeTreePath('./a//b/')).toBe('a/b');
    for (const bad of ['../x', '/x', 'a/../../x', 'a\\b', 'a\0b'])
      expect(() => safeTreePath(bad)).toThrow(UnsafeTarError);
  });
});
