import { context, trace } from '@opentelemetry/api';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  /** Whether a record at `level` would be written (lets hot paths skip building it). */
  enabled?(level: LogLevel): boolean;
}

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SEVERITY: Record<LogLevel, SeverityNumber> = {
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
};

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** Where JSON lines go; defaults to stdout. */
  write?: (line: string) => void;
}

/**
 * One JSON object per line with trace and span ids of the active span. The same record is handed to the
 * OpenTelemetry logs API, which exports it over OTLP when the SDK is started and is a no-op otherwise.
 */
export function createLogger(options: LoggerOptions, bound: LogFields = {}): Logger {
  const min = LEVEL_ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const otel = logs.getLogger(options.service);
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (LEVEL_ORDER[level] < min) return;
    const span = trace.getSpan(context.active())?.spanContext();
    const record: LogFields = {
      ts: new Date().toISOString(),
      level,
      service: options.service,
      msg,
      ...bound,
      ...fields,
    };
    if (span) {
      record.trace_id = span.traceId;
      record.span_id = span.spanId;
    }
    write(JSON.stringify(record, (_key, value) => (value instanceof Error ? value.message : value)));
    otel.emit({
      severityNumber: SEVERITY[level],
      severityText: level.toUpperCase(),
      body: msg,
      attributes: flatten({ ...bound, ...fields }),
    });
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
    enabled: (level) => LEVEL_ORDER[level] >= min,
  };
}

function flatten(fields: LogFields): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    out[key] =
      typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
        ? value
        : String(value);
  }
  return out;
}

/** A logger that discards everything (tests, in-process embedding). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
  enabled: () => false,
};
