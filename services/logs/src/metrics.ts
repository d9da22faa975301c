import { createServiceRegistry, type ServiceRegistry } from '@sparkwing/telemetry';
import { Counter, Gauge, Histogram } from 'prom-client';

/** Why an append was refused; the only values of `sparkwing_logs_rejected_appends_total{reason}`. */
export const REJECT_REASONS = {
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  tooLarge: 'too_large',
  invalid: 'invalid',
  authUnavailable: 'auth_unavailable',
  storage: 'storage_error',
} as const;
export type RejectReason = (typeof REJECT_REASONS)[keyof typeof REJECT_REASONS];

export interface LogsMetrics {
  service: ServiceRegistry;
  appendedRecords: Counter;
  appendedBytes: Counter;
  duplicateRecords: Counter;
  appendDuration: Histogram;
  fsyncDuration: Histogram;
  activeStreams: Gauge;
  rejectedAppends: Counter<'reason'>;
  tornBytes: Counter;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The logs service's own registry: shared HTTP families plus the logs families. */
export function createLogsMetrics(options: { defaultMetrics?: boolean } = {}): LogsMetrics {
  const service = createServiceRegistry('logs', options);
  const registers = [service.registry];
  const rejectedAppends = new Counter({
    name: 'sparkwing_logs_rejected_appends_total',
    help: 'Append requests refused, by reason',
    labelNames: ['reason'],
    registers,
  });
  for (const reason of Object.values(REJECT_REASONS)) rejectedAppends.inc({ reason }, 0);
  return {
    service,
    appendedRecords: new Counter({
      name: 'sparkwing_logs_appended_records_total',
      help: 'Log records made durable',
      registers,
    }),
    appendedBytes: new Counter({
      name: 'sparkwing_logs_appended_bytes_total',
      help: 'Bytes of log records made durable (as stored)',
      registers,
    }),
    duplicateRecords: new Counter({
      name: 'sparkwing_logs_duplicate_records_total',
      help: 'Records skipped because their client_seq was already stored (retried batches)',
      registers,
    }),
    appendDuration: new Histogram({
      name: 'sparkwing_logs_append_duration_seconds',
      help: 'Time from an append request being parsed to its records being durable',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    fsyncDuration: new Histogram({
      name: 'sparkwing_logs_fsync_duration_seconds',
      help: 'Duration of each group-commit fsync',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    activeStreams: new Gauge({
      name: 'sparkwing_logs_active_streams',
      help: 'Open SSE log streams',
      registers,
    }),
    rejectedAppends,
    tornBytes: new Counter({
      name: 'sparkwing_logs_torn_bytes_discarded_total',
      help: 'Bytes of torn trailing lines cut off when a node file was reopened after a crash',
      registers,
    }),
  };
}
