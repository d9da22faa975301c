import { ApiError } from '@sparkwing/contracts';
import { readQuery } from '@sparkwing/telemetry';
import type { Context } from 'hono';
import { z } from 'zod';
import { authorize } from '../../auth/authorize.js';
import type { LogsDeps } from '../../deps.js';
import { sseStream } from '../../stream/sse-stream.js';
import { idParam } from '../params.js';

const streamQuerySchema = z.strictObject({ after_seq: z.coerce.number().int().min(0).optional() });

function resumePoint(c: Context): number {
  const header = c.req.header('last-event-id');
  if (header !== undefined && header !== '') {
    if (!/^\d{1,15}$/.test(header))
      throw new ApiError('validation_failed', 'invalid Last-Event-ID: must be a seq');
    return Number(header);
  }
  return readQuery(c, streamQuerySchema).after_seq ?? 0;
}

/**
 * `GET /api/v1/logs/:runId/:nodeId/stream` — SSE: replays after `Last-Event-ID` (or `after_seq`), then live
 * records (`id: <seq>`), `event: end` after the node's final record, keepalive comments in between.
 */
export function streamLogs(deps: LogsDeps): (c: Context) => Promise<Response> {
  return async (c) => {
    const runId = idParam(c, 'runId');
    const nodeId = idParam(c, 'nodeId');
    authorize(await deps.auth.authenticate(c), 'logs.read', { runId, nodeId });
    const after = resumePoint(c);
    const body = sseStream({
      store: deps.store,
      runId,
      nodeId,
      after,
      keepaliveMs: deps.keepaliveMs,
      activeStreams: deps.metrics.activeStreams,
      logger: deps.logger,
    });
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        'x-request-id': c.get('requestId' as never) ?? '',
      },
    });
  };
}
