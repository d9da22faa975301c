import { type Attributes, context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { CICD } from './cicd.js';
import { runTraceContext } from './otel.js';
import { runFromPath } from './run-path.js';

/**
 * Wraps the global `fetch` so every outgoing request whose path names a run (a runner's node start,
 * heartbeat, finish and metrics calls, its log appends, the dashboard's run reads) becomes a CLIENT span in
 * that run's trace. Other requests pass through untouched. Returns the function that restores `fetch`.
 */
export function instrumentFetch(tracerName: string): () => void {
  const original = globalThis.fetch;
  const tracer = trace.getTracer(tracerName);
  const wrapped: typeof fetch = (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const run = runFromPath(url.pathname);
    if (!run) return original(input, init);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const template = templatePath(url.pathname, run.runId, run.nodeId);
    const attributes: Attributes = {
      'http.request.method': method,
      'url.full': `${url.origin}${url.pathname}`,
      'url.template': template,
      'server.address': url.hostname,
      [CICD.pipelineRunId]: run.runId,
    };
    if (run.nodeId) attributes[CICD.taskName] = run.nodeId;
    const parent = runTraceContext(run.runId, context.active());
    return tracer.startActiveSpan(
      `${method} ${template}`,
      { kind: SpanKind.CLIENT, attributes },
      parent,
      async (span) => {
        try {
          const response = await original(input, init);
          span.setAttribute('http.response.status_code', response.status);
          if (response.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
          return response;
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };
  globalThis.fetch = wrapped;
  return () => {
    if (globalThis.fetch === wrapped) globalThis.fetch = original;
  };
}

/** `/api/v1/runs/run_1/nodes/build/finish` → `/api/v1/runs/{run_id}/nodes/{node_id}/finish` (low-cardinality name). */
function templatePath(path: string, runId: string, nodeId?: string): string {
  let seenRun = false;
  let seenNode = false;
  return path
    .split('/')
    .map((part) => {
      if (!seenRun && part === runId) {
        seenRun = true;
        return '{run_id}';
      }
      if (seenRun && !seenNode && nodeId && part === nodeId) {
        seenNode = true;
        return '{node_id}';
      }
      return part;
    })
    .join('/');
}
