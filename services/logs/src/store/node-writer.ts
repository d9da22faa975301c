import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LogRecord } from '@sparkwing/contracts';
import { DedupeIndex } from './dedupe.js';
import { scanLines } from './line-scanner.js';
import { decodeStored, encodeStored, type StoredRecord, toPublic } from './record-codec.js';

/** A validated record ready to store (defaults applied), optionally carrying its writer's client_seq. */
export interface PreparedRecord {
  ts: string;
  stream: LogRecord['stream'];
  step?: string;
  msg: string;
  final?: boolean;
  cs?: number;
}

export interface AppendOutcome {
  firstSeq: number;
  lastSeq: number;
  stored: number;
  duplicates: number;
  bytes: number;
}

export interface WriterHooks {
  /** Called after each group's fsync with the records it made durable and the new durable size. */
  onDurable(records: LogRecord[], durableSize: number): void;
  /** Duration of each fsync, in seconds. */
  onFsync(seconds: number): void;
}

/** The writer was closed (evicted or its run deleted); open a fresh one and retry. */
export class WriterClosedError extends Error {
  constructor() {
    super('node log writer is closed');
    this.name = 'WriterClosedError';
  }
}

interface Pending {
  records: PreparedRecord[];
  writer: string | undefined;
  resolve(outcome: AppendOutcome): void;
  reject(error: unknown): void;
}

/**
 * The single appender of one node's log file. Concurrent appends are grouped: while one group is being
 * written and fsync'd, new batches queue and go out together in the next write + fsync (group commit).
 * A batch is acknowledged only after the fsync that covers it.
 */
export class NodeWriter {
  private pending: Pending[] = [];
  private flushing = false;
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    private lastSeq: number,
    /** Bytes known durable; reads in this process never look past it. */
    private size: number,
    private readonly dedupe: DedupeIndex,
    private readonly hooks: WriterHooks,
  ) {}

  /**
   * Opens (creating) a node file for appending. Recovery: scans the file, rebuilds the next seq and the
   * dedupe state, and cuts off a torn trailing line left by a crash mid-write.
   */
  static async open(path: string, hooks: WriterHooks, onTorn?: (bytes: number) => void): Promise<NodeWriter> {
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    const handle = await open(path, 'a');
    try {
      let lastSeq = 0;
      let goodEnd = 0;
      const dedupe = new DedupeIndex();
      // Only bytes after the last newline can be torn (one write per group); complete lines are kept even
      // if unreadable, so acknowledged records are never cut off.
      for await (const line of scanLines(path)) {
        goodEnd = line.end;
        const record = decodeStored(line.text);
        if (!record) continue;
        lastSeq = Math.max(lastSeq, record.seq);
        if (record.w !== undefined && record.cs !== undefined) dedupe.record(record.w, record.cs, record.seq);
      }
      const { size } = await handle.stat();
      if (size > goodEnd) {
        await handle.truncate(goodEnd);
        await handle.datasync();
        onTorn?.(size - goodEnd);
      }
      if (size === 0) await syncDir(dir);
      return new NodeWriter(handle, lastSeq, goodEnd, dedupe, hooks);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get durableSize(): number {
    return this.size;
  }

  get busy(): boolean {
    return this.flushing || this.pending.length > 0;
  }

  append(records: PreparedRecord[], writer: string | undefined): Promise<AppendOutcome> {
    if (this.closed) return Promise.reject(new WriterClosedError());
    return new Promise((resolve, reject) => {
      this.pending.push({ records, writer, resolve, reject });
      if (!this.flushing) void this.flushLoop();
    });
  }

  /** Resolves once nothing is queued or being written. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.idle();
    this.closed = true;
    await this.handle.close();
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    while (this.pending.length > 0) {
      const group = this.pending;
      this.pending = [];
      await this.writeGroup(group);
    }
    this.flushing = false;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private async writeGroup(group: Pending[]): Promise<void> {
    const snapshots = new Map<string, ReturnType<DedupeIndex['snapshot']>>();
    const lines: string[] = [];
    const durable: LogRecord[] = [];
    const outcomes: AppendOutcome[] = [];
    let seq = this.lastSeq;
    for (const item of group) {
      let first = Number.POSITIVE_INFINITY;
      let last = 0;
      let stored = 0;
      let duplicates = 0;
      let bytes = 0;
      for (const input of item.records) {
        if (item.writer !== undefined && input.cs !== undefined) {
          const known = this.dedupe.lookup(item.writer, input.cs);
          if (known !== undefined) {
            duplicates += 1;
            if (known !== null) {
              first = Math.min(first, known);
              last = Math.max(last, known);
            }
            continue;
          }
          if (!snapshots.has(item.writer)) snapshots.set(item.writer, this.dedupe.snapshot(item.writer));
          this.dedupe.record(item.writer, input.cs, seq + 1);
        }
        seq += 1;
        const record: StoredRecord = {
          seq,
          ts: input.ts,
          stream: input.stream,
          ...(input.step === undefined ? {} : { step: input.step }),
          msg: input.msg,
          ...(input.final ? { final: true } : {}),
          ...(item.writer !== undefined && input.cs !== undefined ? { w: item.writer, cs: input.cs } : {}),
        };
        const line = encodeStored(record);
        lines.push(line);
        bytes += Buffer.byteLength(line);
        durable.push(toPublic(record));
        first = Math.min(first, seq);
        last = Math.max(last, seq);
        stored += 1;
      }
      if (first === Number.POSITIVE_INFINITY) {
        first = this.lastSeq;
        last = this.lastSeq;
      }
      outcomes.push({ firstSeq: first, lastSeq: last, stored, duplicates, bytes });
    }
    const buffer = Buffer.from(lines.join(''));
    try {
      if (buffer.length > 0) {
        await this.handle.write(buffer);
        const started = performance.now();
        await this.handle.datasync();
        this.hooks.onFsync((performance.now() - started) / 1_000);
      }
    } catch (error) {
      for (const [writer, state] of snapshots) this.dedupe.restore(writer, state);
      // Cut off whatever part of the group reached the file so seqs stay dense; the batches are rejected.
      await this.handle.truncate(this.size).catch(() => {});
      for (const item of group) item.reject(error);
      return;
    }
    this.lastSeq = seq;
    this.size += buffer.length;
    if (durable.length > 0) this.hooks.onDurable(durable, this.size);
    for (const [i, item] of group.entries()) item.resolve(outcomes[i]!);
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the file's own fsync still covers its data.
  } finally {
    await handle.close();
  }
}
