import {
  type Attributes,
  type Context,
  context,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { CICD } from './cicd.js';
import { instrumentFetch } from './fetch-spans.js';
import { RunIdGenerator, rootSpanIdForRun, traceIdForRun } from './run-ids.js';

export { rootSpanIdForRun, traceIdForRun } from './run-ids.js';

/** The OTEL_* variables the SDK follows (names as in the OpenTelemetry specification). */
export type OtelEnv = Partial<
  Record<
    | 'OTEL_EXPORTER_OTLP_ENDPOINT'
    | 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
    | 'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'
    | 'OTEL_SERVICE_NAME',
    string | undefined
  >
>;

export interface TelemetryOptions {
  /** Default service.name; OTEL_SERVICE_NAME overrides it. */
  serviceName: string;
  /** OTEL_EXPORTER_OTLP_ENDPOINT (base URL; `/v1/traces` and `/v1/logs` are appended). */
  otlpEndpoint?: string;
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: full URL, used as is. */
  tracesEndpoint?: string;
  /** OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: full URL, used as is. */
  logsEndpoint?: string;
  version?: string;
  /** Trace outgoing `fetch` calls about a run as CLIENT spans in its trace (default true). */
  instrumentFetch?: boolean;
  /**
   * Where unset options are looked up, following the OpenTelemetry SDK environment specification (the SDK
   * reads OTEL_* itself too). Defaults to `process.env`; tests pass a record.
   */
  env?: OtelEnv;
}

export interface TelemetryHandle {
  enabled: boolean;
  serviceName: string;
  tracesUrl?: string;
  logsUrl?: string;
  /** Exports what is buffered (call before a short-lived process exits). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface ResolvedTelemetry {
  serviceName: string;
  tracesUrl?: string;
  logsUrl?: string;
}

/** Explicit options win, then OTEL_* variables; signal-specific endpoints win over the base endpoint. */
export function resolveTelemetryOptions(options: TelemetryOptions): ResolvedTelemetry {
  const env: OtelEnv = options.env ?? (process.env as OtelEnv);
  const nonEmpty = (v: string | undefined) => (v && v.trim() !== '' ? v.trim() : undefined);
  const base = nonEmpty(options.otlpEndpoint) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const tracesUrl =
    nonEmpty(options.tracesEndpoint) ??
    nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ??
    (base ? joinUrl(base, 'v1/traces') : undefined);
  const logsUrl =
    nonEmpty(options.logsEndpoint) ??
    nonEmpty(env.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT) ??
    (base ? joinUrl(base, 'v1/logs') : undefined);
  return { serviceName: nonEmpty(env.OTEL_SERVICE_NAME) ?? options.serviceName, tracesUrl, logsUrl };
}

/**
 * Starts the OpenTelemetry Node SDK exporting traces and logs over OTLP/HTTP (JSON) when an endpoint is
 * configured; otherwise a no-op (the API's default no-op tracer and logger stay in place). Installs the
 * run-aware id generator so `recordRunSpan` can emit each run's root span with its derived ids.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<TelemetryHandle> {
  const resolved = resolveTelemetryOptions(options);
  const { tracesUrl, logsUrl, serviceName } = resolved;
  if (!tracesUrl && !logsUrl) {
    return { enabled: false, serviceName, flush: async () => {}, shutdown: async () => {} };
  }
  const [sdkNode, traceHttp, logsHttp, sdkLogs, resources, sdkTrace] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/exporter-logs-otlp-http'),
    import('@opentelemetry/sdk-logs'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
  ]);
  const spanProcessor = tracesUrl
    ? new sdkTrace.BatchSpanProcessor(new traceHttp.OTLPTraceExporter({ url: tracesUrl }), {
        scheduledDelayMillis: 500,
      })
    : undefined;
  const logProcessor = logsUrl
    ? new sdkLogs.BatchLogRecordProcessor({
        exporter: new logsHttp.OTLPLogExporter({ url: logsUrl }),
        scheduledDelayMillis: 500,
      })
    : undefined;
  const sdk = new sdkNode.NodeSDK({
    resource: resources.resourceFromAttributes({
      'service.name': serviceName,
      'service.version': options.version ?? '0.0.0',
    }),
    idGenerator: new RunIdGenerator(),
    spanProcessors: spanProcessor ? [spanProcessor] : [],
    logRecordProcessors: logProcessor ? [logProcessor] : [],
    instrumentations: [],
  });
  sdk.start();
  const restoreFetch =
    tracesUrl && options.instrumentFetch !== false ? instrumentFetch(serviceName) : () => undefined;
  return {
    enabled: true,
    ...resolved,
    flush: async () => {
      await Promise.all([spanProcessor?.forceFlush(), logProcessor?.forceFlush()]);
    },
    shutdown: async () => {
      restoreFetch();
      await sdk.shutdown();
    },
  };
}

/** The class of the API's no-op provider: while it is the delegate, no span would ever be recorded. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate().constructor;

/**
 * Whether a tracer provider that records spans is registered. Cheap enough to ask per request (tests and
 * the SDK may register a provider at any time), so hot paths skip building spans nobody records.
 */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate().constructor !== NOOP_PROVIDER;
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path}`;
}

/**
 * A context whose parent is the run's root span (trace id and span id both derived from the run id), so
 * spans started under it join the run's trace without any propagation between processes. When `base`
 * already has an active span in the run's trace (a node span around its steps), that span stays the
 * parent so spans nest.
 */
export function runTraceContext(runId: string, base: Context = ROOT_CONTEXT): Context {
  const active = trace.getSpanContext(base);
  if (active && active.traceId === traceIdForRun(runId)) return base;
  return trace.setSpanContext(base, {
    traceId: traceIdForRun(runId),
    spanId: rootSpanIdForRun(runId),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/** Runs `fn` inside a span that belongs to the run's trace (`cicd.pipeline.run.id` is always set). */
export async function withRunSpan<T>(
  tracerName: string,
  runId: string,
  name: string,
  attributes: SpanOptions['attributes'],
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  const tracer = trace.getTracer(tracerName);
  const parent = runTraceContext(runId, context.active());
  return tracer.startActiveSpan(
    name,
    { attributes: { [CICD.pipelineRunId]: runId, ...attributes } },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: 2, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Records a finished span in the run's trace when its extent is only known afterwards (a claim answered
 * after a long-poll, a trigger that created the run): `startTime` is when the work began.
 */
export function recordSpanInRun(
  tracerName: string,
  runId: string,
  name: string,
  options: { startTime: Date | number; endTime?: Date | number; attributes?: Attributes },
): void {
  if (!tracingActive()) return;
  const span = trace
    .getTracer(tracerName)
    .startSpan(
      name,
      { startTime: options.startTime, attributes: { [CICD.pipelineRunId]: runId, ...options.attributes } },
      runTraceContext(runId, context.active()),
    );
  span.end(options.endTime ?? Date.now());
}

export interface RunSpanRecord {
  runId: string;
  pipeline: string;
  /** Terminal run status (`success`, `failed`, `cancelled`); mapped to `cicd.pipeline.result`. */
  status: string;
  startTime: Date | number;
  endTime: Date | number;
  attributes?: Attributes;
}

/**
 * Emits the run's root span (`run <pipeline>`) once the run is terminal, with the ids every other span of
 * the run already uses as parent. The controller calls it where it records `sparkwing_runs_total`.
 * A no-op without the SDK (and with a foreign id generator the span gets fresh ids but the same trace).
 */
export function recordRunSpan(tracerName: string, run: RunSpanRecord): void {
  const tracer = trace.getTracer(tracerName);
  const span = RunIdGenerator.forRun(run.runId, () =>
    tracer.startSpan(
      `run ${run.pipeline}`,
      {
        root: true,
        startTime: run.startTime,
        attributes: {
          [CICD.pipelineName]: run.pipeline,
          [CICD.pipelineRunId]: run.runId,
          [CICD.pipelineResult]: pipelineResult(run.status),
          ...run.attributes,
        },
      },
      ROOT_CONTEXT,
    ),
  );
  if (run.status === 'failed') span.setStatus({ code: 2 });
  span.end(run.endTime);
}

/** `cicd.pipeline.result` / `cicd.pipeline.task.run.result` values for Sparkwing statuses. */
export function pipelineResult(status: string, failureReason?: string | null): string {
  switch (status) {
    case 'success':
      return 'success';
    case 'cancelled':
      return 'cancellation';
    case 'skipped':
      return 'skip';
    case 'failed':
      if (failureReason === 'timeout' || failureReason === 'queue_timeout') return 'timeout';
      // A classified infrastructure failure is an error; a plain or verify failure is the pipeline's own.
      return failureReason && failureReason !== 'verify' && failureReason !== 'none' ? 'error' : 'failure';
    default:
      return status;
  }
}
