import { createHash, randomBytes } from 'node:crypto';

/** The trace id every span of a run shares: the first 16 bytes of SHA-256(run id), hex. */
export function traceIdForRun(runId: string): string {
  return createHash('sha256').update(runId).digest('hex').slice(0, 32);
}

/** The span id of the run's root span, parent of every other span of the run: 8 bytes of SHA-256("span:" + id). */
export function rootSpanIdForRun(runId: string): string {
  return createHash('sha256').update(`span:${runId}`).digest('hex').slice(0, 16);
}

/**
 * Random ids like the SDK's default generator, except inside `RunIdGenerator.forRun`, where the span being
 * started gets the run's derived trace and root span ids. The SDK asks for ids synchronously inside
 * `startSpan`, so a module-level slot is safe.
 */
export class RunIdGenerator {
  private static pending: { traceId?: string; spanId?: string } | undefined;

  static forRun<T>(runId: string, start: () => T): T {
    RunIdGenerator.pending = { traceId: traceIdForRun(runId), spanId: rootSpanIdForRun(runId) };
    try {
      return start();
    } finally {
      RunIdGenerator.pending = undefined;
    }
  }

  generateTraceId(): string {
    const forced = RunIdGenerator.pending?.traceId;
    if (forced && RunIdGenerator.pending) RunIdGenerator.pending.traceId = undefined;
    return forced ?? nonZeroHex(16);
  }

  generateSpanId(): string {
    const forced = RunIdGenerator.pending?.spanId;
    if (forced && RunIdGenerator.pending) RunIdGenerator.pending.spanId = undefined;
    return forced ?? nonZeroHex(8);
  }
}

function nonZeroHex(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(hex)) return hex;
  }
}
