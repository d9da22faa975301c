import type { LogRecord } from '@sparkwing/contracts';
import type { Logger } from '@sparkwing/telemetry';
import type { Gauge } from 'prom-client';
import type { LogStore } from '../store/log-store.js';

export interface SseOptions {
  store: LogStore;
  runId: string;
  nodeId: string;
  /** Send records with seq greater than this. */
  after: number;
  keepaliveMs: number;
  activeStreams: Gauge;
  logger: Logger;
}

/** Records sent per pull: bounds what one stream holds in memory at once. */
const MAX_RECORDS_PER_PULL = 500;
/**
 * Bytes sent per pull (at least one record): a paused reader holds at most this plus the socket's buffers,
 * whatever the size of the records (500 records of 64 KiB lines would be 32 MiB).
 */
export const MAX_BYTES_PER_PULL = 64 * 1024;
const encoder = new TextEncoder();

/** Ring records are shared by every follower of a node: serialise each one once. */
const encoded = new WeakMap<LogRecord, string>();

export function event(record: LogRecord): string {
  let text = encoded.get(record);
  if (text === undefined) {
    text = `id: ${record.seq}\ndata: ${JSON.stringify(record)}\n\n`;
    encoded.set(record, text);
  }
  return text;
}

/** The leading records whose events fit in MAX_BYTES_PER_PULL (always at least one). */
export function withinBytes(records: LogRecord[]): LogRecord[] {
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    bytes += event(records[i]!).length;
    if (bytes > MAX_BYTES_PER_PULL && i > 0) return records.slice(0, i);
  }
  return records;
}

/**
 * One SSE follower as a pull-based stream: the HTTP layer pulls only when the client's socket drained, so
 * a slow client just stops pulling. It never buffers more than one pull; it catches up later from the
 * shared ring or, when it fell behind that, from the file. Appends never wait for any follower.
 */
export function sseStream(options: SseOptions): ReadableStream<Uint8Array> {
  const { store, runId, nodeId, keepaliveMs } = options;
  const follow = store.follow(runId, nodeId);
  const { channel } = follow;
  let cursor = options.after;
  let finished = false;
  options.activeStreams.inc();
  const finish = () => {
    if (finished) return;
    finished = true;
    follow.release();
    options.activeStreams.dec();
  };

  return new ReadableStream<Uint8Array>(
    {
      async start(controller) {
        controller.enqueue(encoder.encode(': stream open\nretry: 2000\n\n'));
        try {
          await channel.whenReady();
        } catch (error) {
          finish();
          throw error;
        }
      },
      async pull(controller) {
        try {
          for (;;) {
            if (finished) return;
            if (channel.closed) {
              finish();
              controller.close();
              return;
            }
            if (channel.ended && cursor >= channel.lastSeq) {
              controller.enqueue(encoder.encode('event: end\ndata: {}\n\n'));
              finish();
              controller.close();
              return;
            }
            if (channel.lastSeq > cursor) {
              const records =
                channel.fromRing(cursor, MAX_RECORDS_PER_PULL) ??
                (await store.read(runId, nodeId, { afterSeq: cursor, limit: MAX_RECORDS_PER_PULL }));
              if (finished) return;
              if (records.length > 0) {
                const finalAt = records.findIndex((r) => r.final);
                const upTo = finalAt >= 0 ? records.slice(0, finalAt + 1) : records;
                const batch = withinBytes(upTo);
                let text = batch.map(event).join('');
                cursor = batch[batch.length - 1]!.seq;
                const sentFinal = batch.length === upTo.length && finalAt >= 0;
                if (sentFinal) text += 'event: end\ndata: {}\n\n';
                controller.enqueue(encoder.encode(text));
                if (sentFinal) {
                  finish();
                  controller.close();
                }
                return;
              }
            }
            // Nothing new: wait for the channel, or send a keepalive comment when it stays quiet.
            const news = await channel.wait(keepaliveMs);
            if (finished) return;
            if (!news) {
              controller.enqueue(encoder.encode(': keepalive\n\n'));
              return;
            }
          }
        } catch (error) {
          if (finished) return;
          options.logger.warn('log stream failed', { error, run_id: runId, node_id: nodeId });
          finish();
          controller.error(error);
        }
      },
      cancel() {
        finish();
      },
    },
    { highWaterMark: 0 },
  );
}
