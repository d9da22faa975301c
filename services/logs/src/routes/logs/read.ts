import { LOG_LIMITS, type LogRecord, logReadQuerySchema } from '@sparkwing/contracts';
import { readQuery } from '@sparkwing/telemetry';
import type { Context } from 'hono';
import { authorize } from '../../auth/authorize.js';
import type { LogsDeps } from '../../deps.js';
import { idParam } from '../params.js';

function wantsText(c: Context): boolean {
  const accept = c.req.header('accept') ?? '';
  return accept.includes('text/plain') && !accept.includes('application/x-ndjson');
}

export function renderRecords(records: LogRecord[], asText: boolean): string {
  if (asText) return records.map((r) => `${r.msg}\n`).join('');
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

/**
 * `GET /api/v1/logs/:runId/:nodeId?after_seq&limit&tail&grep` — NDJSON records (or the bare messages with
 * `Accept: text/plain`). `X-Last-Seq` carries the last returned seq, the `after_seq` of the next page.
 */
export function readLogs(deps: LogsDeps) {
  return async (c: Context) => {
    const runId = idParam(c, 'runId');
    const nodeId = idParam(c, 'nodeId');
    authorize(await deps.auth.authenticate(c), 'logs.read', { runId, nodeId });
    const query = readQuery(c, logReadQuerySchema);
    const records = await deps.store.read(runId, nodeId, {
      afterSeq: query.after_seq,
      limit: query.limit ?? LOG_LIMITS.defaultReadLimit,
      tail: query.tail,
      grep: query.grep,
    });
    const asText = wantsText(c);
    const last = records[records.length - 1]?.seq ?? query.after_seq ?? 0;
    return c.body(renderRecords(records, asText), 200, {
      'content-type': asText ? 'text/plain; charset=utf-8' : 'application/x-ndjson',
      'x-last-seq': String(last),
    });
  };
}
