import type { LogRecord } from '@sparkwing/contracts';
import { scanLines, tailLines } from './line-scanner.js';
import { decodeStored, peekSeq, toPublic } from './record-codec.js';
import type { SeqIndex } from './seq-index.js';

export interface ReadOptions {
  afterSeq?: number;
  limit: number;
  tail?: number;
  grep?: string;
  /** Never read past this byte (the writer's durable size when this process writes the file). */
  to?: number;
  /** Checkpoints to start near `afterSeq` (and to fill in while scanning). */
  index?: SeqIndex;
}

/** Case-insensitive substring matcher shared by grep and search. */
export function matcher(needle: string): (msg: string) => boolean {
  const lower = needle.toLowerCase();
  return (msg) => msg.toLowerCase().includes(lower);
}

/** Records of one node file with `seq > afterSeq`, at most `limit`; `tail` keeps only the last N (matching) ones. */
export async function readNodeFile(path: string, options: ReadOptions): Promise<LogRecord[]> {
  const after = options.afterSeq ?? 0;
  if (options.tail !== undefined && options.grep === undefined)
    return readTail(path, options.tail, after, options.to);
  const wanted = Math.min(options.limit, options.tail ?? Number.POSITIVE_INFINITY);
  const matches = options.grep === undefined ? null : matcher(options.grep);
  const out: LogRecord[] = [];
  const from = options.index?.floor(after + 1) ?? 0;
  for await (const line of scanLines(path, from, options.to)) {
    const seq = peekSeq(line.text);
    if (!Number.isNaN(seq)) options.index?.note(seq, line.start);
    if (!Number.isNaN(seq) && seq <= after) continue;
    const record = decodeStored(line.text);
    if (!record || record.seq <= after) continue;
    if (matches && !matches(record.msg)) continue;
    out.push(toPublic(record));
    // With tail, keep sliding to the end of the file; otherwise stop at the limit.
    if (options.tail !== undefined) {
      if (out.length > wanted) out.shift();
    } else if (out.length >= wanted) {
      break;
    }
  }
  return out;
}

async function readTail(path: string, tail: number, after: number, to?: number): Promise<LogRecord[]> {
  const lines = await tailLines(path, tail, to);
  const out: LogRecord[] = [];
  for (const line of lines) {
    const record = decodeStored(line.text);
    if (record && record.seq > after) out.push(toPublic(record));
  }
  return out;
}

/** The last complete record of a file and the byte offset just past it (0/null for a missing file). */
export async function lastRecord(path: string): Promise<{ record: LogRecord | null; end: number }> {
  const [line] = await tailLines(path, 1);
  if (!line) return { record: null, end: 0 };
  const record = decodeStored(line.text);
  return { record: record ? toPublic(record) : null, end: line.end };
}
