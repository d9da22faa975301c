import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readlink, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { DELETIONS_MANIFEST } from '@sparkwing/contracts';
import { Header, type HeaderData, Parser, Pax, type ReadEntry } from 'tar';

/** A tarball entry or deletion path that would escape the target directory, or an entry type we refuse. */
export class UnsafeTarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeTarError';
  }
}

/**
 * Normalises a relative tree path (`./a/b` → `a/b`) and refuses anything that could escape the tree:
 * absolute paths, `..` segments, NUL, backslashes, empty segments after normalising.
 */
export function safeTreePath(raw: string): string {
  if (raw.includes('\0')) throw new UnsafeTarError('path contains NUL');
  if (raw.includes('\\')) throw new UnsafeTarError(`path "${raw}" contains a backslash`);
  if (raw.startsWith('/')) throw new UnsafeTarError(`path "${raw}" is absolute`);
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.some((part) => part === '..')) throw new UnsafeTarError(`path "${raw}" contains ".."`);
  if (parts.join('/').length > 4096) throw new UnsafeTarError('path longer than 4096 characters');
  return parts.join('/');
}

export interface PackOptions {
  /** Directory the relative `files` are read from. */
  cwd: string;
  /** Relative paths of regular files and symlinks to include (directories are implied). */
  files: readonly string[];
  /** Paths the receiver must delete (delta uploads); written as the `.sparkwing-deletions` manifest. */
  deletions?: readonly string[];
}

const BLOCK = 512;
const EPOCH = new Date(0);

function headerBlocks(data: HeaderData): Buffer[] {
  const header = new Header({ ...data, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '' });
  const block = Buffer.alloc(BLOCK);
  header.encode(block);
  if (!header.needPax) return [block];
  const pax = new Pax({ path: data.path, linkpath: data.linkpath, mtime: EPOCH }).encode();
  return [pax, block];
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

async function* tarChunks(options: PackOptions): AsyncGenerator<Buffer> {
  const files = [...new Set(options.files.map(safeTreePath))].filter((file) => file !== '').sort();
  for (const file of files) {
    const full = join(options.cwd, file);
    const stat = await lstat(full);
    if (stat.isSymbolicLink()) {
      yield* headerBlocks({
        path: file,
        type: 'SymbolicLink',
        linkpath: await readlink(full),
        mode: 0o777,
        size: 0,
      });
    } else if (stat.isFile()) {
      const mode = stat.mode & 0o111 ? 0o755 : 0o644;
      yield* headerBlocks({ path: file, type: 'File', mode, size: stat.size });
      let written = 0;
      for await (const chunk of createReadStream(full)) {
        written += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (written !== stat.size) throw new Error(`${file} changed size while being packed`);
      yield padding(stat.size);
    }
  }
  if (options.deletions && options.deletions.length > 0) {
    const body = Buffer.from(`${options.deletions.map(safeTreePath).join('\n')}\n`);
    yield* headerBlocks({ path: DELETIONS_MANIFEST, type: 'File', mode: 0o644, size: body.length });
    yield body;
    yield padding(body.length);
  }
  yield Buffer.alloc(BLOCK * 2);
}

/**
 * Packs the listed files into a deterministic tar.gz stream (sorted, mtime 0, no owners; modes 0644 or 0755
 * so the executable bit survives; symlinks kept as links). Missing files throw.
 */
export function packTree(options: PackOptions): Readable {
  const source = Readable.from(tarChunks(options));
  const gzip = createGzip();
  source.on('error', (error) => gzip.destroy(error));
  return source.pipe(gzip);
}

export async function packTreeToBuffer(options: PackOptions): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of packTree(options)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export type TarSource = Readable | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

function toReadable(source: TarSource): Readable {
  if (source instanceof Readable) return source;
  if (source instanceof Uint8Array) return Readable.from([Buffer.from(source)]);
  if (typeof (source as ReadableStream).getReader === 'function') {
    return Readable.fromWeb(source as import('node:stream/web').ReadableStream<Uint8Array>);
  }
  return Readable.from(source as AsyncIterable<Uint8Array>);
}

export interface ExtractOptions {
  /** Read a `.sparkwing-deletions` manifest instead of writing it (delta uploads). */
  readDeletions?: boolean;
  /** Refuse archives with more entries than this (default 1,000,000). */
  maxEntries?: number;
  /** Refuse archives whose files add up to more than this many bytes (a gzip bomb guard; default unlimited). */
  maxBytes?: number;
}

export interface ExtractResult {
  /** Regular files and symlinks written, relative paths. */
  files: string[];
  deletions: string[];
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const SKIPPED_TYPES = new Set([
  'GlobalExtendedHeader',
  'ExtendedHeader',
  'NextFileHasLongPath',
  'NextFileHasLongLinkpath',
]);

/** Guards against writing through a symlink that an earlier entry (or the base tree) placed. */
async function ensureParentDirs(root: string, rel: string, verified: Set<string>): Promise<void> {
  const parts = rel.split('/').slice(0, -1);
  let current = '';
  for (const part of parts) {
    current = current ? `${current}/${part}` : part;
    if (verified.has(current)) continue;
    const full = join(root, current);
    const stat = await lstat(full).catch(() => null);
    if (stat?.isSymbolicLink())
      throw new UnsafeTarError(`"${rel}" would be written through the symlink "${current}"`);
    if (stat && !stat.isDirectory()) await rm(full, { force: true });
    if (!stat?.isDirectory()) await mkdir(full);
    verified.add(current);
  }
}

async function readAll(entry: ReadEntry, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of entry as unknown as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new UnsafeTarError(`${DELETIONS_MANIFEST} is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function writeEntry(root: string, entry: ReadEntry, rel: string, verified: Set<string>): Promise<void> {
  await ensureParentDirs(root, rel, verified);
  const full = join(root, rel);
  const existing = await lstat(full).catch(() => null);
  if (entry.type === 'Directory') {
    if (existing && !existing.isDirectory()) await rm(full, { force: true });
    if (!existing?.isDirectory()) await mkdir(full);
    verified.add(rel);
    entry.resume();
    return;
  }
  if (existing) await rm(full, { recursive: true, force: true });
  if (entry.type === 'SymbolicLink') {
    entry.resume();
    await symlink(entry.linkpath ?? '', full);
    return;
  }
  const mode = (entry.mode ?? 0o644) & 0o111 ? 0o755 : 0o644;
  await pipeline(entry as unknown as Readable, createWriteStream(full, { mode }));
}

/**
 * Extracts a tar or tar.gz into `dest` (created if missing) without ever writing outside it: traversal,
 * absolute paths, hard links and devices are refused with `UnsafeTarError`. Modes are normalised to
 * 0644/0755 like git does.
 */
export async function extractTarball(
  source: TarSource,
  dest: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  // Start reading before any await: a child process's stdout nobody listens to is flushed away on exit.
  const input = maybeGunzip(toReadable(source));
  input.catch(() => undefined);
  await mkdir(dest, { recursive: true });
  const maxEntries = options.maxEntries ?? 1_000_000;
  const files: string[] = [];
  let deletions: string[] = [];
  const verified = new Set<string>();
  const parser = new Parser({ strict: false });
  let entries = 0;
  let totalBytes = 0;
  let failure: Error | null = null;
  let chain: Promise<void> = Promise.resolve();

  const handle = async (entry: ReadEntry): Promise<void> => {
    current = entry;
    if (failure) return void entry.resume();
    if (SKIPPED_TYPES.has(entry.type)) return void entry.resume();
    entries += 1;
    if (entries > maxEntries) throw new UnsafeTarError(`more than ${maxEntries} entries`);
    totalBytes += entry.size ?? 0;
    if (options.maxBytes !== undefined && totalBytes > options.maxBytes) {
      throw new UnsafeTarError(`archive expands to more than ${options.maxBytes} bytes`);
    }
    const rel = safeTreePath(entry.path);
    if (rel === '') return void entry.resume();
    if (options.readDeletions && rel === DELETIONS_MANIFEST && FILE_TYPES.has(entry.type)) {
      const text = (await readAll(entry, 64 * 1024 * 1024)).toString('utf8');
      deletions = text
        .split('\n')
        .filter((line) => line.length > 0)
        .map(safeTreePath);
      return;
    }
    if (!FILE_TYPES.has(entry.type) && entry.type !== 'Directory' && entry.type !== 'SymbolicLink') {
      throw new UnsafeTarError(`entry "${rel}" has unsupported type ${entry.type}`);
    }
    await writeEntry(dest, entry, rel, verified);
    if (entry.type !== 'Directory') files.push(rel);
  };

  let current: ReadEntry | null = null;
  parser.on('warn', (code: string, message: string | Error) => {
    const text = message instanceof Error ? message.message : String(message);
    failure ??= new UnsafeTarError(`bad archive: ${code}: ${text}`);
  });
  parser.on('entry', (entry: ReadEntry) => {
    entry.pause();
    chain = chain.then(() =>
      handle(entry).catch((error: Error) => {
        failure ??= error;
        entry.resume();
      }),
    );
  });
  const done = new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.on('abort', reject);
  });
  try {
    const stream = await input;
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        if (!parser.write(chunk)) stream.pause();
      });
      parser.on('drain', () => stream.resume());
      stream.on('error', reject);
      stream.on('end', () => parser.end());
      done.then(resolve, reject);
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failure ??= error instanceof UnsafeTarError ? error : new UnsafeTarError(`bad archive: ${message}`);
    // The input is gone: an entry waiting for more data would wait forever.
    (current as ReadEntry | null)?.destroy(failure);
  }
  await chain;
  if (failure) throw failure;
  return { files, deletions };
}

/** Gunzips when the stream starts with the gzip magic, so plain tar works too. */
async function maybeGunzip(input: Readable): Promise<Readable> {
  const iterator = input[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return Readable.from([]);
  const head = Buffer.from(first.value as Uint8Array);
  async function* rest() {
    yield head;
    while (true) {
      const next = await iterator.next();
      if (next.done) return;
      yield Buffer.from(next.value as Uint8Array);
    }
  }
  const raw = Readable.from(rest());
  if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) return raw;
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
}
