import { type LogRecord, logRecordSchema } from '@sparkwing/contracts';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'error';

export interface FollowOptions {
  onRecords: (records: LogRecord[]) => void;
  onState: (state: StreamState, detail?: string) => void;
  signal: AbortSignal;
  retryMs?: number;
}

interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/**
 * Follows a node's log over SSE. After a dropped connection it reconnects with `Last-Event-ID` set to the
 * last seq it delivered, and drops any record at or below that seq, so nothing is shown twice.
 */
export async function followLog(url: string, options: FollowOptions): Promise<void> {
  let lastSeq = 0;
  const retryMs = options.retryMs ?? 1_000;
  while (!options.signal.aborted) {
    options.onState(lastSeq === 0 ? 'connecting' : 'reconnecting');
    try {
      const response = await fetch(url, {
        headers:
          lastSeq > 0
            ? { accept: 'text/event-stream', 'last-event-id': String(lastSeq) }
            : { accept: 'text/event-stream' },
        credentials: 'same-origin',
        signal: options.signal,
      });
      if (response.status === 401 || response.status === 403 || response.status === 404) {
        options.onState('error', await errorMessage(response));
        return;
      }
      if (!response.ok || !response.body) throw new Error(`status ${response.status}`);
      options.onState('live');
      for await (const event of readEvents(response.body)) {
        if (event.event === 'end') {
          options.onState('ended');
          return;
        }
        if (event.event !== 'message' && event.event !== 'log') continue;
        const fresh = parseRecords(event.data).filter((record) => record.seq > lastSeq);
        if (fresh.length === 0) continue;
        lastSeq = fresh[fresh.length - 1]!.seq;
        options.onRecords(fresh);
      }
    } catch (error) {
      if (options.signal.aborted) return;
      options.onState('reconnecting', (error as Error).message);
    }
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}

function parseRecords(data: string): LogRecord[] {
  try {
    const value: unknown = JSON.parse(data);
    const list = Array.isArray(value) ? value : [value];
    return list.flatMap((item) => {
      const parsed = logRecordSchema.safeParse(item);
      return parsed.success ? [parsed.data] : [];
    });
  } catch {
    return [];
  }
}

async function errorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    return body.error?.message ?? `the log service answered ${response.status}`;
  } catch {
    return `the log service answered ${response.status}`;
  }
}

async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let boundary = buffer.indexOf('\n\n');
      while (boundary >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const event = parseBlock(block);
        if (event) yield event;
        boundary = buffer.indexOf('\n\n');
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function parseBlock(block: string): SseEvent | null {
  let id: string | null = null;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0 && event !== 'end') return null;
  return { id, event, data: data.join('\n') };
}
