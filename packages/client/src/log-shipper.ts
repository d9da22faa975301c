import { LOG_WRITER_HEADER, type LogStream } from '@sparkwing/contracts';
import type { FetchLike } from './http.js';

/** One line of output as the runner hands it to the shipper. */
export interface LogRecordInput {
  ts?: string;
  stream?: LogStream;
  step?: string;
  msg: string;
  /** The node's last record (a `system` line); the service ends live streams after it. */
  final?: boolean;
}

/** The logs service refused the shipper's token (401/403): the node must fail with `logs_auth`. */
export class LogsAuthError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'LogsAuthError';
    this.status = status;
  }
}

export interface LogShipperOptions {
  baseUrl: string;
  runId: string;
  nodeId: string;
  /** Called per request: node tokens are refreshed on every lease renewal. */
  token: () => string;
  fetch?: FetchLike;
  /** Send once this many bytes are buffered (default 256 KiB). */
  maxBatchBytes?: number;
  /** Send once this many records are buffered (default 1000). */
  maxBatchRecords?: number;
  /** Longest a written record waits before its batch is sent (default 200 ms). */
  maxDelayMs?: number;
  /** Retries of one batch on network errors, 5xx and 429 before flush() rejects (default 8). */
  maxRetries?: number;
}

interface Queued {
  cs: number;
  line: string;
  bytes: number;
}

interface FlushWaiter {
  target: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** Messages longer than this are split across records so no line exceeds the service's line limit. */
const MAX_MSG_CHARS = 8 * 1024;
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 5_000;

function isRetryable(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/**
 * Ships a node's output to the logs service: buffers writes, sends NDJSON batches by size or after a short
 * delay, one batch in flight at a time (so order is kept), retries with exponential backoff. Every record
 * carries a monotonic `client_seq` under this shipper's writer id, so a batch retried after a lost response
 * is not stored twice.
 */
export class LogShipper {
  private readonly url: string;
  private readonly doFetch: FetchLike;
  private readonly writerId: string;
  private readonly maxBatchBytes: number;
  private readonly maxBatchRecords: number;
  private readonly maxDelayMs: number;
  private readonly maxRetries: number;
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private nextCs = 1;
  private ackedCs = 0;
  private waiters: FlushWaiter[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inflight: Promise<void> | null = null;
  private closed = false;
  private authError: LogsAuthError | null = null;

  constructor(private readonly opts: LogShipperOptions) {
    const base = opts.baseUrl.replace(/\/+$/, '');
    this.url = `${base}/api/v1/logs/${encodeURIComponent(opts.runId)}/${encodeURIComponent(opts.nodeId)}`;
    this.doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
    this.writerId = globalThis.crypto.randomUUID();
    this.maxBatchBytes = opts.maxBatchBytes ?? 256 * 1024;
    this.maxBatchRecords = opts.maxBatchRecords ?? 1_000;
    this.maxDelayMs = opts.maxDelayMs ?? 200;
    this.maxRetries = opts.maxRetries ?? 8;
  }

  get authFailed(): boolean {
    return this.authError !== null;
  }

  /** Buffers a record; never throws. Ignored after close() or an auth failure. */
  write(record: LogRecordInput): void {
    if (this.closed || this.authError) return;
    try {
      const ts = record.ts ?? new Date().toISOString();
      const msg = String(record.msg);
      const parts = msg.length > MAX_MSG_CHARS ? chunk(msg) : [msg];
      parts.forEach((part, i) => {
        const last = i === parts.length - 1;
        const cs = this.nextCs++;
        const line = `${JSON.stringify({
          ts,
          ...(record.stream ? { stream: record.stream } : {}),
          ...(record.step !== undefined ? { step: String(record.step) } : {}),
          msg: part,
          ...(record.final && last ? { final: true } : {}),
          client_seq: cs,
        })}\n`;
        const bytes = Buffer.byteLength(line);
        this.queue.push({ cs, line, bytes });
        this.queuedBytes += bytes;
      });
    } catch {
      return;
    }
    if (this.queuedBytes >= this.maxBatchBytes || this.queue.length >= this.maxBatchRecords) {
      this.kick();
    } else {
      this.schedule();
    }
  }

  /** Resolves once everything written so far is stored; rejects LogsAuthError on 401/403. */
  flush(): Promise<void> {
    if (this.authError) return Promise.reject(this.authError);
    const target = this.nextCs - 1;
    if (this.ackedCs >= target) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ target, resolve, reject });
      this.kick();
    });
  }

  /** flush() and stop the timer; later writes are ignored. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.clearTimer();
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, this.maxDelayMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private kick(): void {
    this.clearTimer();
    if (this.inflight || this.queue.length === 0) return;
    this.inflight = this.drain().finally(() => {
      this.inflight = null;
      // Records written (or flushes asked for) while the last batch was finishing still need a send.
      if (this.queue.length === 0 || this.authError || this.closed) return;
      if (this.waiters.length > 0) this.kick();
      else this.schedule();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.authError) {
      const batch = this.takeBatch();
      try {
        await this.sendWithRetry(batch);
      } catch (error) {
        if (!(error instanceof LogsAuthError) && !(error instanceof RetryableError)) {
          // The service refused the batch as invalid: retrying cannot help, so it is dropped.
          this.dropFront(batch.length);
          this.ackedCs = batch[batch.length - 1]!.cs;
        }
        this.failWaiters(error);
        return;
      }
      this.dropFront(batch.length);
      this.ackedCs = batch[batch.length - 1]!.cs;
      this.settleWaiters();
    }
  }

  private takeBatch(): Queued[] {
    const batch: Queued[] = [];
    let bytes = 0;
    for (const item of this.queue) {
      if (
        batch.length > 0 &&
        (bytes + item.bytes > this.maxBatchBytes || batch.length >= this.maxBatchRecords)
      )
        break;
      batch.push(item);
      bytes += item.bytes;
    }
    return batch;
  }

  private dropFront(count: number): void {
    for (const item of this.queue.splice(0, count)) this.queuedBytes -= item.bytes;
  }

  private settleWaiters(): void {
    this.waiters = this.waiters.filter((w) => {
      if (w.target > this.ackedCs) return true;
      w.resolve();
      return false;
    });
  }

  private failWaiters(error: unknown): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (w.target <= this.ackedCs && !(error instanceof LogsAuthError)) w.resolve();
      else w.reject(error);
    }
  }

  private async sendWithRetry(batch: Queued[]): Promise<void> {
    const body = batch.map((item) => item.line).join('');
    for (let attempt = 0; ; attempt++) {
      let failure: RetryableError | undefined;
      let response: Response | null = null;
      let text = '';
      try {
        response = await this.doFetch(this.url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${this.opts.token()}`,
            'content-type': 'application/x-ndjson',
            [LOG_WRITER_HEADER]: this.writerId,
            'user-agent': 'sparkwing-log-shipper',
          },
          body,
        });
        text = await response.text();
      } catch (error) {
        response = null;
        failure = new RetryableError(`cannot reach the logs service: ${(error as Error).message}`);
      }
      if (response) {
        if (response.ok) return;
        const message = errorMessage(text) ?? `HTTP ${response.status}`;
        if (response.status === 401 || response.status === 403) {
          this.authError = new LogsAuthError(response.status, `logs service refused the token: ${message}`);
          this.clearTimer();
          throw this.authError;
        }
        if (!isRetryable(response.status)) {
          throw new Error(`logs service rejected a batch (${response.status}): ${message}`);
        }
        failure = new RetryableError(`logs service answered ${response.status}: ${message}`);
      }
      if (attempt >= this.maxRetries) throw failure ?? new RetryableError('logs append failed');
      const delay = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random() / 2)));
    }
  }
}

/** A transient failure (network, 5xx, 429) that outlived the retries; the batch stays queued. */
class RetryableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryableError';
  }
}

function chunk(msg: string): string[] {
  const parts: string[] = [];
  for (let i = 0; i < msg.length; i += MAX_MSG_CHARS) parts.push(msg.slice(i, i + MAX_MSG_CHARS));
  return parts;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function errorMessage(text: string): string | null {
  const value = safeJson(text) as { error?: { message?: unknown } } | null;
  return typeof value?.error?.message === 'string' ? value.error.message : null;
}
