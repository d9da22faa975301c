import type { ControllerClient, LogsClient } from '@sparkwing/client';
import {
  isTerminalNodeStatus,
  isTerminalRunStatus,
  type NodeStatus,
  type RunDetail,
} from '@sparkwing/contracts';
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
  const latest = new Map<string, NodeStatus>();
  const abort = new AbortController();
  const { logs, runId } = options;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Streams a node's lines; a stream ends at the first final record, so a retried node is read on by polling. */
  const streamNode = async (nodeId: string, logLines: (nodeId: string, line: string) => void) => {
    let last = 0;
    try {
      for await (const record of logs.stream(runId, nodeId, { signal: abort.signal })) {
        last = record.seq;
        logLines(nodeId, record.msg);
      }
      while (!abort.signal.aborted) {
        const terminal = isTerminalNodeStatus(latest.get(nodeId) ?? 'running');
        for (const record of await logs.read(runId, nodeId, { afterSeq: last })) {
          last = record.seq;
          logLines(nodeId, record.msg);
        }
        if (terminal) return;
        await pause(500);
      }
    } catch (error) {
      if (!abort.signal.aborted) logLines(nodeId, `(log stream ended: ${(error as Error).message})`);
    }
  };
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
        latest.set(node.id, node.status);
        const logLines = options.logLines;
        if (logLines && !streams.has(node.id) && (node.status === 'running' || node.finished_at)) {
          streams.set(node.id, streamNode(node.id, logLines));
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
