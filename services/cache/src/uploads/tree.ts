import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeEntry {
  path: string;
  kind: 'file' | 'symlink';
  /** 0o644 or 0o755 for files, 0o777 for symlinks. */
  mode: number;
  /** sha256 of the content (files) or of the link target (symlinks). */
  digest: string;
}

async function digestFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Every file and symlink under `root` (never following links), sorted by path. Empty directories vanish, as in git. */
export async function listTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(root, rel), { withFileTypes: true });
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      const full = join(root, path);
      if (entry.isDirectory()) {
        await walk(path);
      } else if (entry.isSymbolicLink()) {
        const target = await readlink(full);
        out.push({
          path,
          kind: 'symlink',
          mode: 0o777,
          digest: createHash('sha256').update(target).digest('hex'),
        });
      } else if (entry.isFile()) {
        const stat = await lstat(full);
        out.push({
          path,
          kind: 'file',
          mode: stat.mode & 0o111 ? 0o755 : 0o644,
          digest: await digestFile(full),
        });
      }
    }
  };
  await walk('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The content address of a tree: sha256 over one line per entry, `<kind> <mode octal> <sha256> <path>\n`,
 * sorted by path. Same files, modes and links → same ref, however they were uploaded.
 */
export function treeRef(entries: readonly TreeEntry[]): string {
  const hash = createHash('sha256');
  for (const entry of entries) {
    hash.update(`${entry.kind} ${entry.mode.toString(8)} ${entry.digest} ${entry.path}\n`);
  }
  return `up_${hash.digest('hex')}`;
}
