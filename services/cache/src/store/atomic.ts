import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError } from '@sparkwing/contracts';

export function tempPath(tmpDir: string, hint: string): string {
  return join(tmpDir, `${hint}-${process.pid}-${randomBytes(8).toString('hex')}`);
}

/**
 * Past the limit, the rest of the body is read and discarded (up to this much more) before failing: failing
 * at once cancels the request body, and closing a socket with unread bytes can reset the connection before
 * the client reads the 413.
 */
const DISCARD_BYTES = 16 * 1024 * 1024;

/** Counts bytes through a stream and fails with 413 past `maxBytes` (nothing past it is passed on). */
export function sizeLimiter(maxBytes: number, counter: { bytes: number }): Transform {
  const tooLarge = () =>
    new ApiError('payload_too_large', `body is larger than the limit of ${maxBytes} bytes`);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counter.bytes += chunk.length;
      if (counter.bytes <= maxBytes) callback(null, chunk);
      else if (counter.bytes > maxBytes + DISCARD_BYTES) callback(tooLarge());
      else callback();
    },
    flush(callback) {
      callback(counter.bytes > maxBytes ? tooLarge() : null);
    },
  });
}

export function bodyStream(body: ReadableStream<Uint8Array> | null): Readable {
  if (!body) return Readable.from([]);
  return Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
}

/**
 * Streams `source` to a temp file and renames it onto `target`: readers see the old file or the whole new one,
 * never a torn write; a failure (including 413, or a body whose SHA-256 is not `sha256` when given) leaves
 * nothing behind. Returns the bytes written.
 */
export async function writeAtomic(
  source: Readable,
  target: string,
  options: { tmpDir: string; maxBytes: number; sha256?: string },
): Promise<number> {
  await mkdir(options.tmpDir, { recursive: true });
  const temp = tempPath(options.tmpDir, 'put');
  const counter = { bytes: 0 };
  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(source, sizeLimiter(options.maxBytes, counter), hasher, createWriteStream(temp));
    if (options.sha256 !== undefined) {
      const actual = hash.digest('hex');
      if (actual !== options.sha256) {
        throw new ApiError(
          'bad_request',
          `digest mismatch: the key names sha256 ${options.sha256} but the body's is ${actual}; nothing stored`,
        );
      }
    }
    await mkdir(dirname(target), { recursive: true });
    await rename(temp, target);
    return counter.bytes;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Marks an entry as used now: eviction is least-recently-used by mtime. Best effort. */
export function touch(path: string): void {
  const now = new Date();
  utimes(path, now, now).catch(() => undefined);
}

/** A file as a web stream for a Response, read in 1 MiB chunks (fewer hops for large blobs). */
export function fileBody(path: string): ReadableStream {
  return Readable.toWeb(createReadStream(path, { highWaterMark: 1024 * 1024 })) as ReadableStream;
}
