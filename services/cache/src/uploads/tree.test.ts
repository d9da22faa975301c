import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listTree, treeRef } from './tree.js';

function tree(
  files: Record<string, string>,
  exec: string[] = [],
  links: Record<string, string> = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'sw-tree-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  for (const path of exec) chmodSync(join(dir, path), 0o755);
  for (const [path, target] of Object.entries(links)) symlinkSync(target, join(dir, path));
  return dir;
}

describe('treeRef', () => {
  it('depends on paths, contents, the executable bit and link targets, nothing else', async () => {
    const dirs = [
      tree({ 'a/b.txt': 'x', 'c.sh': 'y' }),
      tree({ 'c.sh': 'y', 'a/b.txt': 'x' }),
      tree({ 'a/b.txt': 'x', 'c.sh': 'y' }, ['c.sh']),
      tree({ 'a/b.txt': 'x', 'c.sh': 'z' }),
      tree({ 'a/b.txt': 'x', 'c.sh': 'y' }, [], { l: 'a/b.txt' }),
      tree({ 'a/b.txt': 'x', 'c.sh': 'y' }, [], { l: 'c.sh' }),
    ];
    mkdirSync(join(dirs[1]!, 'empty-dir'));
    const refs = await Promise.all(dirs.map(async (dir) => treeRef(await listTree(dir))));
    expect(refs[0]).toMatch(/^up_[0-9a-f]{64}$/);
    expect(refs[1]).toBe(refs[0]);
    expect(new Set(refs).size).toBe(5);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
});
