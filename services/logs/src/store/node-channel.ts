import { type FSWatcher, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { LogRecord } from '@sparkwing/contracts';
import { scanLines } from './line-scanner.js';
import { lastRecord } from './node-reader.js';
import { decodeStored, toPublic } from './record-codec.js';

const RING_RECORDS = 1_024;
const RING_BYTES = 512 * 1024;

export interface ChannelOptions {
  path: string;
  /** Period of the stat fallback that catches appends by other processes (fs.watch can miss events). */
  pollIntervalMs: number;
  /** True while this process owns the file's writer: then its notifications are the only source. */
  hasLocalWriter: () => boolean;
  onError: (error: unknown) => void;
}

/**
 * Live view of one node's log shared by every stream following it: the last seq, whether the log ended,
 * and a bounded ring of recent records so live followers never touch the disk. Records arrive from this
 * process's writer (after fsync) or, for files another process appends to, from watching the file.
 */
export class NodeChannel {
  lastSeq = 0;
  /** The newest record is the node's final record. */
  ended = false;
  closed = false;
  private offset = 0;
  private ring: LogRecord[] = [];
  private ringBytes = 0;
  private waiters = new Set<() => void>();
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private pollAgain = false;
  private ready: Promise<void>;

  constructor(private readonly options: ChannelOptions) {
    this.ready = this.init();
  }

  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Records with seq > after from the ring, at most `max`; null when the ring no longer reaches back that far. */
  fromRing(after: number, max: number): LogRecord[] | null {
    const first = this.ring[0];
    if (!first || first.seq > after + 1) return null;
    const start = after + 1 - first.seq;
    return this.ring.slice(start, start + max);
  }

  /** Resolves true on news (records, end, close) or false after `timeoutMs`. */
  wait(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }

  /** From this process's writer: records just made durable and the file's durable size. */
  publish(records: LogRecord[], durableSize: number): void {
    this.offset = Math.max(this.offset, durableSize);
    this.accept(records);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.wakeAll();
  }

  private async init(): Promise<void> {
    const { record, end } = await lastRecord(this.options.path);
    if (record && record.seq > this.lastSeq) {
      this.clearRing();
      this.lastSeq = record.seq;
      this.ended = record.final === true;
    }
    this.offset = Math.max(this.offset, end);
    if (this.closed) return;
    this.timer = setInterval(() => this.poll(), this.options.pollIntervalMs);
    this.timer.unref();
    this.ensureWatcher();
  }

  private ensureWatcher(): void {
    if (this.watcher || this.closed) return;
    try {
      this.watcher = watch(this.options.path, { persistent: false }, () => this.poll());
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      // The file does not exist yet; the stat poll picks it up and retries the watch.
    }
  }

  private poll(): void {
    if (this.closed || this.options.hasLocalWriter()) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    this.readNew()
      .catch((error) => this.options.onError(error))
      .finally(() => {
        this.polling = false;
        if (this.pollAgain) {
          this.pollAgain = false;
          this.poll();
        }
      });
  }

  private async readNew(): Promise<void> {
    let size: number;
    try {
      size = (await stat(this.options.path)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    this.ensureWatcher();
    if (size < this.offset) this.offset = 0; // replaced or truncated by its writer's recovery: re-read
    if (size === this.offset) return;
    const fresh: LogRecord[] = [];
    for await (const line of scanLines(this.options.path, this.offset, size)) {
      this.offset = line.end;
      const record = decodeStored(line.text);
      if (record) fresh.push(toPublic(record));
    }
    this.accept(fresh);
  }

  private accept(records: LogRecord[]): void {
    let news = false;
    for (const record of records) {
      if (record.seq <= this.lastSeq) continue;
      // The ring holds a gap-free run of seqs so followers can index into it.
      if (record.seq !== this.lastSeq + 1) this.clearRing();
      this.lastSeq = record.seq;
      this.ended = record.final === true;
      this.ring.push(record);
      this.ringBytes += record.msg.length + 64;
      news = true;
    }
    while (this.ring.length > RING_RECORDS || (this.ringBytes > RING_BYTES && this.ring.length > 1)) {
      const dropped = this.ring.shift()!;
      this.ringBytes -= dropped.msg.length + 64;
    }
    if (news) this.wakeAll();
  }

  private clearRing(): void {
    this.ring = [];
    this.ringBytes = 0;
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
