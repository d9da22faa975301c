import { z } from 'zod';

/** Output streams a log record can come from; `system` lines are written by the runner itself. */
export const LOG_STREAMS = ['stdout', 'stderr', 'system'] as const;
export const logStreamSchema = z.enum(LOG_STREAMS);
export type LogStream = z.infer<typeof logStreamSchema>;

/** Limits the logs service enforces on appends (413/400 with the error envelope beyond them). */
export const LOG_LIMITS = {
  /** Largest NDJSON append body. */
  maxBodyBytes: 4 * 1024 * 1024,
  /** Largest single NDJSON line of an append body. */
  maxLineBytes: 64 * 1024,
  /** Most records in one append. */
  maxRecordsPerBatch: 5_000,
  /** Default and maximum `limit` of a node read. */
  defaultReadLimit: 1_000,
  maxReadLimit: 10_000,
  /** Default and maximum `limit` of a search. */
  defaultSearchLimit: 100,
  maxSearchLimit: 1_000,
} as const;

/** One record as an append body line carries it (NDJSON). `client_seq` makes a retried batch idempotent. */
export const logRecordInputSchema = z.strictObject({
  ts: z.string().max(64).optional(),
  stream: logStreamSchema.optional(),
  step: z.string().max(256).optional(),
  msg: z.string(),
  /** The runner's last record of a node (a `system` record); streams end after it. */
  final: z.boolean().optional(),
  /** Monotonic per writer (see the `X-Log-Writer` header); a record at or below the writer's last is a duplicate. */
  client_seq: z.number().int().min(1).optional(),
});
export type LogRecordInputLine = z.infer<typeof logRecordInputSchema>;

/** A stored record as every read returns it; `seq` is dense per node and assigned by the server. */
export const logRecordSchema = z.object({
  seq: z.number().int().min(1),
  ts: z.string(),
  stream: logStreamSchema,
  step: z.string().optional(),
  msg: z.string(),
  final: z.boolean().optional(),
});
export type LogRecord = z.infer<typeof logRecordSchema>;

export const appendResponseSchema = z.object({
  /** Seq range covering the batch's records (duplicates included when their seq is known). */
  first_seq: z.number().int(),
  last_seq: z.number().int(),
  /** Records newly stored by this request. */
  stored: z.number().int(),
  /** Records skipped because their `client_seq` was already stored. */
  duplicates: z.number().int(),
});
export type AppendResponse = z.infer<typeof appendResponseSchema>;

const nonNegativeInt = z.coerce.number().int().min(0);

export const logReadQuerySchema = z.strictObject({
  /** Only records with a larger seq. */
  after_seq: nonNegativeInt.optional(),
  limit: z.coerce.number().int().min(1).max(LOG_LIMITS.maxReadLimit).optional(),
  /** Only the last N (matching) records. */
  tail: z.coerce.number().int().min(1).max(LOG_LIMITS.maxReadLimit).optional(),
  /** Case-insensitive substring the message must contain. */
  grep: z.string().min(1).max(1_024).optional(),
});
export type LogReadQuery = z.infer<typeof logReadQuerySchema>;

export const runLogsQuerySchema = z.strictObject({
  /** Most records returned per node (the first ones); `truncated` tells when more exist. */
  limit: z.coerce.number().int().min(1).max(LOG_LIMITS.maxReadLimit).optional(),
});

export const runLogsResponseSchema = z.object({
  run_id: z.string(),
  nodes: z.array(
    z.object({
      node_id: z.string(),
      records: z.array(logRecordSchema),
      truncated: z.boolean(),
    }),
  ),
});
export type RunLogs = z.infer<typeof runLogsResponseSchema>;

export const logSearchQuerySchema = z.strictObject({
  q: z.string().min(1).max(1_024),
  run_id: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(LOG_LIMITS.maxSearchLimit).optional(),
  cursor: z.string().max(1_024).optional(),
});
export type LogSearchQuery = z.infer<typeof logSearchQuerySchema>;

export const logSearchMatchSchema = z.object({
  run_id: z.string(),
  node_id: z.string(),
  seq: z.number().int(),
  msg: z.string(),
});
export type LogSearchMatch = z.infer<typeof logSearchMatchSchema>;

export const logSearchResponseSchema = z.object({
  matches: z.array(logSearchMatchSchema),
  /** Pass back as `cursor` to continue; null once every run was searched. */
  next_cursor: z.string().nullable(),
});
export type LogSearchResponse = z.infer<typeof logSearchResponseSchema>;

/** Header naming the writer whose `client_seq` values a batch carries (one per shipper instance). */
export const LOG_WRITER_HEADER = 'x-log-writer';
