import type { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from '@sparkwing/telemetry';
import { DEATH_LOG_OUTCOMES, type RunnerLifecycleMetrics } from './metrics.js';

/** Bounds of a captured death log (seed 004). */
export const DEATH_LOG_MAX_LINES = 200;
export const DEATH_LOG_MAX_BYTES = 64 * 1024;

export interface DeathLogTarget {
  namespace: string;
  pod: string;
  container: string;
  runId: string;
  nodeId: string;
  endedAt: string;
  reason: string;
}

/**
 * Reads the tail of an abnormally ended runner container through `pods/log` before the Job's TTL reaps
 * the pod, and re-emits it as one structured log line. Once per pod; best effort: a failure is counted
 * and logged, never thrown.
 */
export class DeathLogCapture {
  private readonly seen = new Set<string>();

  constructor(
    private readonly core: CoreV1Api,
    private readonly metrics: RunnerLifecycleMetrics,
    private readonly logger: Logger,
    private readonly store: (runId: string, nodeId: string, log: string) => void,
  ) {}

  async capture(target: DeathLogTarget): Promise<void> {
    const key = `${target.namespace}/${target.pod}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.seen.size > 10_000) this.seen.delete(this.seen.values().next().value!);
    let text: string;
    try {
      text = String(
        (await this.core.readNamespacedPodLog({
          name: target.pod,
          namespace: target.namespace,
          container: target.container,
          tailLines: DEATH_LOG_MAX_LINES,
          limitBytes: DEATH_LOG_MAX_BYTES,
        })) ?? '',
      );
    } catch (error) {
      this.metrics.deathLogs.inc({ outcome: DEATH_LOG_OUTCOMES.failed });
      this.logger.warn('runner death log capture failed', {
        pod: target.pod,
        run_id: target.runId,
        node_id: target.nodeId,
        error: (error as { code?: number }).code ?? (error as Error).message,
      });
      return;
    }
    const bounded = boundTail(text);
    if (bounded.length === 0) {
      this.metrics.deathLogs.inc({ outcome: DEATH_LOG_OUTCOMES.empty });
      return;
    }
    try {
      this.store(target.runId, target.nodeId, bounded);
    } catch (error) {
      this.logger.warn('storing runner death log failed', {
        pod: target.pod,
        error: (error as Error).message,
      });
    }
    this.metrics.deathLogs.inc({ outcome: DEATH_LOG_OUTCOMES.captured });
    this.logger.info('runner death log captured', {
      pod: target.pod,
      run_id: target.runId,
      node_id: target.nodeId,
      ended_at: target.endedAt,
      reason: target.reason,
      lines: bounded.split('\n').length,
      bytes: Buffer.byteLength(bounded),
      log: bounded,
    });
  }
}

/** Keeps the last 200 lines and at most 64 KiB (cut at a line boundary when possible). */
export function boundTail(text: string): string {
  let lines = text.replace(/\n$/, '').split('\n');
  if (lines.length === 1 && lines[0] === '') return '';
  lines = lines.slice(-DEATH_LOG_MAX_LINES);
  let out = lines.join('\n');
  while (Buffer.byteLength(out) > DEATH_LOG_MAX_BYTES && lines.length > 1) {
    lines = lines.slice(1);
    out = lines.join('\n');
  }
  if (Buffer.byteLength(out) > DEATH_LOG_MAX_BYTES)
    out = Buffer.from(out).subarray(-DEATH_LOG_MAX_BYTES).toString();
  return out;
}
