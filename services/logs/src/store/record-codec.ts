import type { LogRecord, LogStream } from '@sparkwing/contracts';

/**
 * The on-disk line: the public record plus the writer id (`w`) and `client_seq` (`cs`) that made it, so the
 * per-writer dedupe state can be rebuilt from the file after a restart.
 */
export interface StoredRecord extends LogRecord {
  w?: string;
  cs?: number;
}

export function encodeStored(record: StoredRecord): string {
  const line: Record<string, unknown> = { seq: record.seq, ts: record.ts, stream: record.stream };
  if (record.step !== undefined) line.step = record.step;
  line.msg = record.msg;
  if (record.final) line.final = true;
  if (record.w !== undefined) line.w = record.w;
  if (record.cs !== undefined) line.cs = record.cs;
  return `${JSON.stringify(line)}\n`;
}

const STREAMS = new Set<LogStream>(['stdout', 'stderr', 'system']);

/** Parses one stored line; null when it is not a well-formed record (a torn or foreign line). */
export function decodeStored(line: string): StoredRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.seq !== 'number' || typeof v.ts !== 'string' || typeof v.msg !== 'string') return null;
  if (!STREAMS.has(v.stream as LogStream)) return null;
  const record: StoredRecord = { seq: v.seq, ts: v.ts, stream: v.stream as LogStream, msg: v.msg };
  if (typeof v.step === 'string') record.step = v.step;
  if (v.final === true) record.final = true;
  if (typeof v.w === 'string') record.w = v.w;
  if (typeof v.cs === 'number') record.cs = v.cs;
  return record;
}

/** The record as readers see it (no writer bookkeeping). */
export function toPublic(record: StoredRecord): LogRecord {
  return {
    seq: record.seq,
    ts: record.ts,
    stream: record.stream,
    ...(record.step === undefined ? {} : { step: record.step }),
    msg: record.msg,
    ...(record.final ? { final: true } : {}),
  };
}

const SEQ_PREFIX = '{"seq":';

/** Reads the seq of a stored line without a full parse (every line starts with `{"seq":N,`); NaN if not. */
export function peekSeq(line: string): number {
  if (!line.startsWith(SEQ_PREFIX)) return Number.NaN;
  const end = line.indexOf(',', SEQ_PREFIX.length);
  return end < 0 ? Number.NaN : Number(line.slice(SEQ_PREFIX.length, end));
}
