import { type FileHandle, open } from 'node:fs/promises';

export interface ScannedLine {
  text: string;
  /** Byte offset of the line's first byte. */
  start: number;
  /** Byte offset just past its newline. */
  end: number;
}

const CHUNK = 256 * 1024;
const NEWLINE = 0x0a;

/**
 * Yields complete (newline-terminated) lines of a file from `from` up to `to` (default: the size when the
 * scan starts). A trailing line without its newline is torn or still being written and is never yielded.
 */
export async function* scanLines(path: string, from = 0, to?: number): AsyncGenerator<ScannedLine> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const limit = to ?? (await handle.stat()).size;
    let position = from;
    let carry: Buffer = Buffer.alloc(0);
    let carryStart = from;
    while (position < limit) {
      const want = Math.min(CHUNK, limit - position);
      const chunk = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(chunk, 0, want, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data =
        carry.length > 0
          ? Buffer.concat([carry, chunk.subarray(0, bytesRead)])
          : chunk.subarray(0, bytesRead);
      let lineStart = 0;
      for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, lineStart)) {
        yield {
          text: data.toString('utf8', lineStart, nl),
          start: carryStart + lineStart,
          end: carryStart + nl + 1,
        };
        lineStart = nl + 1;
      }
      carry = Buffer.from(data.subarray(lineStart));
      carryStart += lineStart;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Complete lines at the end of a file, newest last, reading backwards in chunks until `wanted` lines are
 * found (or the file starts). Bytes after the last newline are ignored.
 */
export async function tailLines(path: string, wanted: number, to?: number): Promise<ScannedLine[]> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const size = to ?? (await handle.stat()).size;
    const lines: ScannedLine[] = [];
    let end = size;
    let buffer: Buffer = Buffer.alloc(0);
    let bufferStart = size;
    // Drop the unterminated tail first: only lines ending in a newline count.
    let lastNewline = -1;
    while (bufferStart > 0 && lines.length < wanted) {
      const readFrom = Math.max(0, bufferStart - CHUNK);
      const chunk = Buffer.allocUnsafe(bufferStart - readFrom);
      await handle.read(chunk, 0, chunk.length, readFrom);
      buffer = Buffer.concat([chunk, buffer]);
      bufferStart = readFrom;
      if (lastNewline < 0) {
        const idx = buffer.lastIndexOf(NEWLINE);
        if (idx < 0) continue;
        lastNewline = bufferStart + idx;
        end = lastNewline + 1;
      }
      // Peel complete lines off the right end of the buffer while a newline precedes them.
      let right = end - bufferStart;
      while (lines.length < wanted) {
        const prev = right - 2 >= 0 ? buffer.lastIndexOf(NEWLINE, right - 2) : -1;
        if (prev < 0 && bufferStart > 0) break;
        const lineStart = prev + 1;
        lines.push({
          text: buffer.toString('utf8', lineStart, right - 1),
          start: bufferStart + lineStart,
          end: bufferStart + right,
        });
        right = lineStart;
        if (right === 0) break;
      }
      end = bufferStart + right;
      buffer = buffer.subarray(0, right);
      if (right === 0) break;
    }
    return lines.reverse();
  } finally {
    await handle.close();
  }
}
