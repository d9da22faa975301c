import { nodeSpanAttributes, recordRunSpan, recordSpanInRun, tracingActive } from '@sparkwing/telemetry';

/**
 * The controller's spans in each run's trace (ids derived from the run id, so runner and logs spans join
 * without propagation). No-ops until the OpenTelemetry SDK is started.
 */
const TRACER = 'sparkwing-controller';

export function recordTriggerSpan(runId: string, pipeline: string, trigger: string, now: number): void {
  recordSpanInRun(TRACER, runId, 'run.trigger', {
    startTime: now,
    endTime: now,
    attributes: { ...nodeSpanAttributes({ runId, pipeline }), 'sparkwing.trigger.kind': trigger },
  });
}

/** From the node becoming ready to its claim: the queue wait, as a span. */
export function recordClaimSpan(
  claim: { runId: string; pipeline: string; nodeId: string; attempt: number; holder: string },
  readyAt: number | null,
  now: number,
): void {
  if (!tracingActive()) return; // the claim hot path: skip building attributes nobody records
  recordSpanInRun(TRACER, claim.runId, 'node.claim', {
    startTime: readyAt ?? now,
    endTime: now,
    attributes: nodeSpanAttributes({
      runId: claim.runId,
      pipeline: claim.pipeline,
      nodeId: claim.nodeId,
      attempt: claim.attempt,
      runnerId: claim.holder,
    }),
  });
}

/** The run's root span, from trigger to its terminal state. */
export function recordRunEndSpan(
  run: { id: string; pipeline: string; createdAt: number },
  status: string,
  failureReason: string | null,
  now: number,
): void {
  recordRunSpan(TRACER, {
    runId: run.id,
    pipeline: run.pipeline,
    status,
    startTime: run.createdAt,
    endTime: now,
    attributes: failureReason ? { 'sparkwing.failure_reason': failureReason } : undefined,
  });
}
