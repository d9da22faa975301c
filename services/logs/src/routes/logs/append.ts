import {
  ApiError,
  LOG_LIMITS,
  LOG_WRITER_HEADER,
  logRecordInputSchema,
  describeZodError,
} from '@sparkwing/contracts';
import { readBodyBytes } from '@sparkwing/telemetry';
import type { Context } from 'hono';
import { authorize } from '../../auth/authorize.js';
import type { LogsDeps } from '../../deps.js';
import { REJECT_REASONS, type RejectReason } from '../../metrics.js';
import type { PreparedRecord } from '../../store/node-writer.js';
import { idParam } from '../params.js';

const WRITER_RE = /^[A-Za-z0-9_.-]{1,128}$/;
const DEFAULT_WRITER = 'default';

function rejectReason(error: unknown): RejectReason {
  if (!(error instanceof ApiError)) return REJECT_REASONS.storage;
  switch (error.code) {
    case 'unauthorized':
      return REJECT_REASONS.unauthorized;
    case 'forbidden':
      return REJECT_REASONS.forbidden;
    case 'payload_too_large':
      return REJECT_REASONS.tooLarge;
    case 'unavailable':
      return REJECT_REASONS.authUnavailable;
    default:
      return REJECT_REASONS.invalid;
  }
}

/** Splits and validates an NDJSON body; 413 beyond the limits, 400 naming the first bad line. */
export function parseBatch(body: Buffer, now: () => Date): PreparedRecord[] {
  const records: PreparedRecord[] = [];
  const text = body.toString('utf8');
  let lineNo = 0;
  for (const raw of text.split('\n')) {
    lineNo += 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const bytes = Buffer.byteLength(line);
    if (bytes > LOG_LIMITS.maxLineBytes) {
      throw new ApiError(
        'payload_too_large',
        `line ${lineNo} is ${bytes} bytes; the limit is ${LOG_LIMITS.maxLineBytes}`,
      );
    }
    if (records.length >= LOG_LIMITS.maxRecordsPerBatch) {
      throw new ApiError(
        'payload_too_large',
        `more than ${LOG_LIMITS.maxRecordsPerBatch} records in one batch`,
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new ApiError('bad_request', `line ${lineNo} is not valid JSON: ${(error as Error).message}`);
    }
    const parsed = logRecordInputSchema.safeParse(value);
    if (!parsed.success)
      throw new ApiError('validation_failed', `line ${lineNo}: ${describeZodError(parsed.error)}`);
    const input = parsed.data;
    records.push({
      ts: input.ts ?? now().toISOString(),
      stream: input.stream ?? 'stdout',
      ...(input.step === undefined ? {} : { step: input.step }),
      msg: input.msg,
      ...(input.final ? { final: true } : {}),
      ...(input.client_seq === undefined ? {} : { cs: input.client_seq }),
    });
  }
  if (records.length === 0) throw new ApiError('bad_request', 'empty batch: send at least one NDJSON record');
  return records;
}

/** `POST /api/v1/logs/:runId/:nodeId` — NDJSON records; 200 only once they are fsync'd. */
export function appendLogs(deps: LogsDeps) {
  return async (c: Context) => {
    try {
      const runId = idParam(c, 'runId');
      const nodeId = idParam(c, 'nodeId');
      authorize(await deps.auth.authenticate(c), 'logs.write', { runId, nodeId });
      const writerHeader = c.req.header(LOG_WRITER_HEADER);
      if (writerHeader !== undefined && !WRITER_RE.test(writerHeader)) {
        throw new ApiError(
          'validation_failed',
          `invalid ${LOG_WRITER_HEADER} header: 1-128 of letters, digits, "._-"`,
        );
      }
      const records = parseBatch(await readBodyBytes(c, LOG_LIMITS.maxBodyBytes), deps.clock);
      const started = performance.now();
      const result = await deps.store.append(runId, nodeId, records, writerHeader ?? DEFAULT_WRITER);
      deps.metrics.appendDuration.observe((performance.now() - started) / 1_000);
      return c.json(result);
    } catch (error) {
      deps.metrics.rejectedAppends.inc({ reason: rejectReason(error) });
      throw error;
    }
  };
}
