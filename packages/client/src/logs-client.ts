import {
  type LogRecord,
  type LogSearchResponse,
  logRecordSchema,
  logSearchResponseSchema,
  type RunLogs,
  runLogsResponseSchema,
} from '@sparkwing/contracts';
import { ClientError, HttpClient, type HttpOptions } from './http.js';

const enc = encodeURIComponent;

export interface LogReadQuery {
  afterSeq?: number;
  limit?: number;
  tail?: number;
  grep?: string;
}

export interface LogStreamOptions {
  /** Start after this seq (0 = from the beginning). */
  afterSeq?: number;
  signal?: AbortSignal;
  /** Reconnect attempts after a dropped connection before giving up (default 5). */
  maxReconnects?: number;
}

export interface LogSearchOptions {
  runId?: string;
  limit?: number;
  cursor?: string;
}

/** Readers of the logs service: node/run reads, live SSE follow, search, delete. */
export class LogsClient {
  readonly http: HttpClient;

  constructor(options: HttpOptions) {
    this.http = new HttpClient({ userAgent: 'sparkwing-logs-client', ...options });
  }

  async read(runId: string, nodeId: string, q: LogReadQuery = {}): Promise<LogRecord[]> {
    const response = await this.http.raw('GET', `/api/v1/logs/${enc(runId)}/${enc(nodeId)}`, {
      query: { after_seq: q.afterSeq, limit: q.limit, tail: q.tail, grep: q.grep },
      headers: { accept: 'application/x-ndjson' },
    });
    const records: LogRecord[] = [];
    for (const line of (await response.text()).split('\n')) {
      if (line === '') continue;
      const parsed = logRecordSchema.safeParse(JSON.parse(line));
      if (!parsed.success)
        throw new ClientError(
          response.status,
          'bad_response',
          `unexpected log record: ${line.slice(0, 200)}`,
        );
      records.push(parsed.data);
    }
    return records;
  }

  readRun(runId: string, opts: { limit?: number } = {}): Promise<RunLogs> {
    return this.http.call('GET', `/api/v1/logs/${enc(runId)}`, {
      query: { limit: opts.limit },
      schema: runLogsResponseSchema,
    });
  }

  search(q: string, opts: LogSearchOptions = {}): Promise<LogSearchResponse> {
    return this.http.call('GET', '/api/v1/logs/search', {
      query: { q, run_id: opts.runId, limit: opts.limit, cursor: opts.cursor },
      schema: logSearchResponseSchema,
    });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.http.call('DELETE', `/api/v1/logs/${enc(runId)}`);
  }

  /**
   * Follows a node's log over SSE: replays after `afterSeq`, then yields records as they are appended and
   * returns after the node's final record. A dropped connection resumes from the last seen seq.
   */
  async *stream(runId: string, nodeId: string, opts: LogStreamOptions = {}): AsyncIterable<LogRecord> {
    let lastSeq = opts.afterSeq ?? 0;
    let failures = 0;
    const maxReconnects = opts.maxReconnects ?? 5;
    for (;;) {
      let ended = false;
      try {
        const response = await this.http.raw('GET', `/api/v1/logs/${enc(runId)}/${enc(nodeId)}/stream`, {
          headers: {
            accept: 'text/event-stream',
            ...(lastSeq > 0 ? { 'last-event-id': String(lastSeq) } : {}),
          },
          signal: opts.signal,
        });
        if (!response.body)
          throw new ClientError(response.status, 'bad_response', 'stream response has no body');
        for await (const event of parseSse(response.body)) {
          if (event.event === 'end') {
            ended = true;
            break;
          }
          if (event.event !== 'message' || event.data === '') continue;
          const record = logRecordSchema.parse(JSON.parse(event.data));
          if (record.seq <= lastSeq) continue;
          lastSeq = record.seq;
          failures = 0;
          yield record;
        }
      } catch (error) {
        if (opts.signal?.aborted) return;
        if (error instanceof ClientError && error.status >= 400 && error.status < 500) throw error;
        failures += 1;
        if (failures > maxReconnects) throw error;
      }
      if (ended || opts.signal?.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** failures)));
    }
  }
}

interface SseEvent {
  event: string;
  data: string;
  id: string | null;
}

/** Minimal text/event-stream parser (events separated by a blank line; comments ignored). */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { event: 'message', data: '', id: null };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line === '' || line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') data.push(value);
          else if (field === 'event') event.event = value;
          else if (field === 'id') event.id = value;
        }
        if (data.length === 0 && event.event === 'message') continue;
        event.data = data.join('\n');
        yield event;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
