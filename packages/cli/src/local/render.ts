import {
  elapsedMs as nodeDuration,
  FAILURE_REASON_HELP,
  formatDuration,
  type RunDetail,
  type RunNode,
} from '@sparkwing/contracts';

export interface Reporter {
  /** `via`: `in-process`, or `dashboard <url>` when the running dashboard carried the run. */
  started(runId: string, pipeline: string, home: string, via?: string): void;
  node(node: RunNode): void;
  /** Periodic reminder of the nodes still running. */
  progress(running: RunNode[]): void;
  /** A ready node this machine's labels cannot satisfy: it will wait until its queue timeout. */
  unclaimable(node: RunNode, labels: string[]): void;
  finished(detail: RunDetail): void;
}

const MARK: Record<string, string> = {
  pending: '·',
  ready: '○',
  claimed: '○',
  running: '▶',
  success: '✓',
  failed: '✗',
  skipped: '-',
  cancelled: '⊘',
};

/** Human output: one line per node state change, then a summary that explains every failure. */
export function terminalReporter(write: (text: string) => void, color: boolean): Reporter {
  const paint = (code: number, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const tone = (status: string) =>
    status === 'success' ? 32 : status === 'failed' ? 31 : status === 'running' ? 36 : 90;
  return {
    started(runId, pipeline, home) {
      write(`${paint(1, `sparkwing run ${pipeline}`)}  ${paint(90, `${runId} (records in ${home})`)}\n`);
    },
    node(node) {
      const duration = nodeDuration(node);
      const timing = duration !== null && node.finished_at ? `  ${formatDuration(duration)}` : '';
      const reason = node.result?.failure_reason ? `  ${node.result.failure_reason}` : '';
      write(
        `  ${paint(tone(node.status), `${MARK[node.status] ?? '?'} ${node.id.padEnd(16)} ${node.status}`)}${timing}${paint(31, reason)}\n`,
      );
    },
    progress(running) {
      const parts = running.map((node) => `${node.id} ${formatDuration(nodeDuration(node) ?? 0)}`);
      write(paint(90, `  … running: ${parts.join(', ')}\n`));
    },
    unclaimable(node, labels) {
      write(
        paint(
          33,
          `  ! ${node.id} requires [${node.requires.join(', ')}] but this machine advertises [${labels.join(', ')}]: pass --label, or Ctrl-C to cancel\n`,
        ),
      );
    },
    finished(detail) {
      const { run } = detail;
      const took = run.duration_ms === null ? '' : ` in ${formatDuration(run.duration_ms)}`;
      write(`\n${paint(tone(run.status), `run ${run.status}`)}${took}\n`);
      for (const node of detail.nodes.filter((candidate) => candidate.status === 'failed')) {
        const result = node.result;
        write(
          `\n${paint(31, `✗ ${node.id}`)}${result?.exit_code === null || result === null ? '' : ` (exit code ${result.exit_code})`}\n`,
        );
        if (result?.failure_reason) {
          const help = FAILURE_REASON_HELP[result.failure_reason];
          write(
            `  reason: ${result.failure_reason} (${help.title})\n  ${help.what}\n  what to do: ${help.action}\n`,
          );
        } else if (node.error) {
          write(`  error: ${node.error}\n`);
        }
        const tail = result?.logs?.trim();
        if (tail) {
          write('  log tail:\n');
          for (const line of tail.split('\n')) write(`    ${paint(90, '│')} ${line}\n`);
        }
      }
    },
  };
}

/** `-o json`: one JSON event per line. */
export function jsonReporter(write: (text: string) => void): Reporter {
  const emit = (event: Record<string, unknown>) =>
    write(`${JSON.stringify({ ts: new Date().toISOString(), ...event })}\n`);
  return {
    started: (runId, pipeline, home, via) =>
      emit({ event: 'run_started', run_id: runId, pipeline, home, ...(via ? { via } : {}) }),
    node: (node) =>
      emit({
        event: 'node',
        run_id: node.run_id,
        node_id: node.id,
        status: node.status,
        attempt: node.attempt,
        duration_ms: node.finished_at ? nodeDuration(node) : null,
        failure_reason: node.result?.failure_reason ?? null,
        exit_code: node.result?.exit_code ?? null,
      }),
    progress: (running) =>
      emit({
        event: 'progress',
        run_id: running[0]?.run_id,
        running: running.map((node) => ({ node_id: node.id, elapsed_ms: nodeDuration(node) })),
      }),
    unclaimable: (node, labels) =>
      emit({ event: 'unclaimable', run_id: node.run_id, node_id: node.id, requires: node.requires, labels }),
    finished: (detail) =>
      emit({
        event: 'run_finished',
        run_id: detail.run.id,
        status: detail.run.status,
        duration_ms: detail.run.duration_ms,
        failure_reason: detail.run.failure_reason,
        failed_nodes: detail.nodes
          .filter((node) => node.status === 'failed')
          .map((node) => ({
            node_id: node.id,
            failure_reason: node.result?.failure_reason ?? null,
            help: node.result?.failure_reason ? FAILURE_REASON_HELP[node.result.failure_reason] : null,
            exit_code: node.result?.exit_code ?? null,
            error: node.error,
            logs: node.result?.logs ?? '',
          })),
      }),
  };
}
