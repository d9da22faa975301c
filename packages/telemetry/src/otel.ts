import { createHash, randomBytes } from 'node:crypto';
import { type Context, context, ROOT_CONTEXT, type Span, type SpanOptions, TraceFlags, trace } from '@opentelemetry/api';

export interface TelemetryOptions {
  serviceName: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT; nothing is exported when unset. */
  otlpEndpoint?: string;
  tracesEndpoint?: string;
  logsEndpoint?: string;
  version?: string;
}

export interface TelemetryHandle {
  enabled: boolean;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK exporting traces and logs over OTLP/HTTP when an endpoint is
 * configured; otherwise a no-op (the API's default no-op tracer and logger stay in place).
 */
export async function startTelemetry(options: TelemetryOptions): Promise<TelemetryHandle> {
  const traces = options.tracesEndpoint ?? (options.otlpEndpoint ? joinUrl(options.otlpEndpoint, 'v1/traces') : undefined);
  const logsUrl = options.logsEndpoint ?? (options.otlpEndpoint ? joinUrl(options.otlpEndpoint, 'v1/logs') : undefined);
  if (!traces && !logsUrl) return { enabled: false, shutdown: async () => {} };
  const [sdkNode, traceHttp, logsHttp, sdkLogs, resources, sdkTrace] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/exporter-logs-otlp-http'),
    import('@opentelemetry/sdk-logs'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
  ]);
  const sdk = new sdkNode.NodeSDK({
    resource: resources.resourceFromAttributes({
      'service.name': options.serviceName,
      'service.version': options.version ?? '0.0.0',
    }),
    spanProcessors: traces
      ? [new sdkTrace.BatchSpanProcessor(new traceHttp.OTLPTraceExporter({ url: traces }), { scheduledDelayMillis: 500 })]
      : [],
    logRecordProcessors: logsUrl
      ? [new sdkLogs.BatchLogRecordProcessor({ exporter: new logsHttp.OTLPLogExporter({ url: logsUrl }) })]
      : [],
    instrumentations: [],
  });
  sdk.start();
  return { enabled: true, shutdown: () => sdk.shutdown() };
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path}`;
}

/** The trace id every span of a run shares: the first 16 bytes of SHA-256(run id), hex. */
export function traceIdForRun(runId: string): string {
  return createHash('sha256').update(runId).digest('hex').slice(0, 32);
}

/**
 * A context whose parent is a synthetic remote span in the run's trace, so spans started under it join the
 * run's trace without any propagation between processes.
 */
export function runTraceContext(runId: string, base: Context = ROOT_CONTEXT): Context {
  return trace.setSpanContext(base, {
    traceId: traceIdForRun(runId),
    spanId: randomBytes(8).toString('hex'),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/** Runs `fn` inside a span that belongs to the run's trace. */
export async function withRunSpan<T>(
  tracerName: string,
  runId: string,
  name: string,
  attributes: SpanOptions['attributes'],
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  const tracer = trace.getTracer(tracerName);
  const parent = runTraceContext(runId, context.active());
  return tracer.startActiveSpan(name, { attributes: { 'cicd.pipeline.run.id': runId, ...attributes } }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      throw error;
    } finally {
      span.end();
    }
  });
}
