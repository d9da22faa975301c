import {
  elapsedMs,
  FAILURE_REASON_HELP,
  formatDuration,
  type Run,
  type RunDetail,
} from '@sparkwing/contracts';

function runRow(cells: {
  id: string;
  pipeline: string;
  status: string;
  created: string;
  took: string;
  reason: string;
  trigger: string;
}) {
  const { id, pipeline, status, created, took, reason, trigger } = cells;
  return `${id.padEnd(28)} ${pipeline.padEnd(16)} ${status.padEnd(10)} ${created.padEnd(24)}  ${took.padEnd(8)} ${reason.padEnd(20)} ${trigger}`.trimEnd();
}

/** The column names above `runs list` lines. */
export const RUNS_HEADER = `${runRow({
  id: 'ID',
  pipeline: 'PIPELINE',
  status: 'STATUS',
  created: 'CREATED',
  took: 'DURATION',
  reason: 'REASON',
  trigger: 'TRIGGER',
})}\n`;

export function runLine(run: Run): string {
  const took = run.duration_ms === null ? '' : formatDuration(run.duration_ms);
  // Runs from events show the event and branch they ran for.
  const trigger = run.trigger.event
    ? `${run.trigger.event}${run.git?.branch ? ` ${run.git.branch}` : ''}`
    : '';
  const reason = run.failure_reason ?? '';
  return `${runRow({ id: run.id, pipeline: run.pipeline, status: run.status, created: run.created_at, took, reason, trigger })}\n`;
}

export function statusText(detail: RunDetail): string {
  const { run } = detail;
  let out = `run ${run.id}  ${run.pipeline}  ${run.status}`;
  if (run.duration_ms !== null) out += `  ${formatDuration(run.duration_ms)}`;
  out += `\n  trigger: ${run.trigger.kind}${run.trigger.event ? ` (${run.trigger.event})` : ''}  created ${run.created_at}\n`;
  if (run.git) out += `  git: ${run.git.repo_url} ${run.git.branch ?? ''} ${run.git.sha ?? ''}\n`;
  const t = run.trigger;
  if (t.ref || t.rule) {
    const pr = t.pr_number === null ? '' : `  PR #${t.pr_number}${t.fork ? ' (fork)' : ''}`;
    out += `  ref: ${t.ref ?? '-'}${pr}  actor: ${t.actor ?? '-'}  rule: ${t.rule ?? '-'}\n`;
  }
  if (run.upload_ref) out += `  upload: ${run.upload_ref}\n`;
  if (run.error) out += `  error: ${run.error}\n`;
  for (const node of detail.nodes) {
    const attempt = node.retries > 0 ? ` attempt ${node.attempt}/${node.retries + 1}` : '';
    const reason = node.result?.failure_reason ? `  ${node.result.failure_reason}` : '';
    const took = elapsedMs(node);
    const timing = (took === null ? '' : formatDuration(took)).padEnd(8);
    out += `${`  ${node.id.padEnd(20)} ${node.status.padEnd(10)} ${timing}${attempt}${reason}`.trimEnd()}\n`;
  }
  return out;
}

export interface NodeError {
  node_id: string;
  attempt: number;
  failure_reason: string | null;
  help: { title: string; what: string; action: string } | null;
  exit_code: number | null;
  error: string | null;
  logs: string;
  death_log: string | null;
}

export function nodeErrors(detail: RunDetail): NodeError[] {
  return detail.nodes
    .filter((node) => node.status === 'failed')
    .map((node) => ({
      node_id: node.id,
      attempt: node.attempt,
      failure_reason: node.result?.failure_reason ?? null,
      help: node.result?.failure_reason ? FAILURE_REASON_HELP[node.result.failure_reason] : null,
      exit_code: node.result?.exit_code ?? null,
      error: node.error,
      logs: node.result?.logs ?? '',
      death_log: node.death_log,
    }));
}

export function errorsText(detail: RunDetail, errors: NodeError[]): string {
  if (errors.length === 0) return `run ${detail.run.id} (${detail.run.status}) has no failed nodes\n`;
  let out = '';
  for (const item of errors) {
    out += `✗ ${item.node_id}${item.exit_code === null ? '' : ` (exit code ${item.exit_code})`}\n`;
    if (item.help)
      out += `  reason: ${item.failure_reason} (${item.help.title})\n  ${item.help.what}\n  what to do: ${item.help.action}\n`;
    else
      out += `  reason: the command itself failed${item.exit_code === null ? '' : ` (exit code ${item.exit_code})`}, no infrastructure cause found: see the log tail\n`;
    if (item.error) out += `  error: ${item.error}\n`;
    const tail = item.logs.trim();
    if (tail)
      out += `  log tail:\n${tail
        .split('\n')
        .map((line) => `    │ ${line}\n`)
        .join('')}`;
    if (item.death_log)
      out += `  death log:\n${item.death_log
        .trim()
        .split('\n')
        .map((line) => `    │ ${line}\n`)
        .join('')}`;
  }
  const skipped = detail.nodes.filter((node) => node.status === 'skipped').map((node) => node.id);
  if (skipped.length) out += `skipped: ${skipped.join(', ')}\n`;
  return out;
}

/** `node │ ` before each log line when several nodes interleave, padded so the lines start in one column. */
export function logPrefix(nodes: string[]): (nodeId: string) => string {
  if (nodes.length < 2) return () => '';
  const width = Math.max(...nodes.map((id) => id.length));
  return (nodeId) => `${nodeId.padEnd(width)} │ `;
}
