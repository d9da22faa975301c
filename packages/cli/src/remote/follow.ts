import type { ControllerClient, LogsClient } from '@sparkwing/client';
import { isTerminalRunStatus, type RunDetail } from '@sparkwing/contracts';
import type { Reporter } from '../local/render.js';

export interface FollowOptions {
  controller: ControllerClient;
  logs: LogsClient;
  runId: string;
  reporter: Reporter;
  /** Stream every node's log lines as they are written (`--follow-logs`). */
  logLines?: (nodeId: string, line: string) => void;
  pollMs?: number;
  signal?: AbortSignal;
}

/** Polls the run, reports each node state change, optionally streams logs; resolves with the final detail. */
export async function followRun(options: FollowOptions): Promise<RunDetail> {
  const seen = new Map<string, string>();
  const streams = new Map<string, Promise<void>>();
  const abort = new AbortController();
  options.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  const pollMs = options.pollMs ?? 500;
  try {
    for (;;) {
      const detail = await options.controller.getRun(options.runId);
      for (const node of detail.nodes) {
        const key = `${node.status}/${node.attempt}`;
        if (seen.get(node.id) !== key) {
          seen.set(node.id, key);
          options.reporter.node(node);
        }
        const logLines = options.logLines;
        if (logLines && !streams.has(node.id) && (node.status === 'running' || node.finished_at)) {
          streams.set(
            node.id,
            (async () => {
              try {
                for await (const record of options.logs.stream(options.runId, node.id, {
                  signal: abort.signal,
                })) {
                  logLines(node.id, record.msg);
                }
              } catch (error) {
                if (!abort.signal.aborted)
                  logLines(node.id, `(log stream ended: ${(error as Error).message})`);
              }
            })(),
          );
        }
      }
      if (isTerminalRunStatus(detail.run.status)) {
        // Give the streams a moment to print the last lines (each ends at its node's final record).
        await Promise.race([
          Promise.all(streams.values()),
          new Promise((resolve) => setTimeout(resolve, 3_000)),
        ]);
        return detail;
      }
      if (options.signal?.aborted) return detail;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  } finally {
    abort.abort();
  }
}
