import { isTerminalNodeStatus, type NodeAttempt, type Run, type RunNode } from '@sparkwing/contracts';
import type { nodeAttempts, nodes, runs } from '../db/schema.js';

export type RunRow = typeof runs.$inferSelect;
export type NodeRow = typeof nodes.$inferSelect;
export type AttemptRow = typeof nodeAttempts.$inferSelect;

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    pipeline: row.pipeline,
    status: row.status,
    args: row.args,
    git: row.git ?? null,
    upload_ref: row.uploadRef,
    local_path: row.localPath,
    trigger: {
      kind: row.triggerKind,
      event: row.triggerEvent,
      actor: row.triggerActor,
      ref: row.triggerRef,
      sha: row.triggerSha,
      pr_number: row.triggerPr,
      fork: row.triggerFork,
      rule: row.triggerRule,
      repo: row.triggerRepo,
    },
    retry_of: row.retryOf,
    bundle_digest: row.bundleDigest ?? null,
    concurrency_group: row.concurrencyGroup,
    cancel_requested: row.cancelRequested,
    failure_reason: row.failureReason,
    error: row.error,
    created_at: iso(row.createdAt)!,
    started_at: iso(row.startedAt),
    finished_at: iso(row.finishedAt),
    duration_ms: row.finishedAt === null ? null : row.finishedAt - (row.startedAt ?? row.createdAt),
  };
}

export function toAttempt(row: AttemptRow): NodeAttempt {
  return {
    attempt: row.attempt,
    runner_id: row.runnerId,
    status: row.status,
    claimed_at: iso(row.claimedAt),
    started_at: iso(row.startedAt),
    finished_at: iso(row.finishedAt),
    failure_reason: row.failureReason,
    exit_code: row.exitCode,
    error: row.error,
  };
}

export function toNode(row: NodeRow, attempts: AttemptRow[]): RunNode {
  const terminal = isTerminalNodeStatus(row.status);
  return {
    id: row.nodeId,
    run_id: row.runId,
    status: row.status,
    needs: row.needs,
    requires: row.requires,
    timeout_s: row.timeoutS,
    retries: row.retries,
    attempt: row.attempt,
    env: row.env,
    resources: row.resources,
    steps: row.steps,
    runner_id: row.runnerId,
    status_detail: row.statusDetail,
    ready_at: iso(row.readyAt),
    claimed_at: iso(row.claimedAt),
    started_at: iso(row.startedAt),
    finished_at: iso(row.finishedAt),
    error: row.error,
    output: row.output ?? null,
    result: terminal
      ? {
          success: row.status === 'success',
          failure_reason: row.failureReason,
          exit_code: row.exitCode,
          logs: row.logs ?? row.error ?? '',
        }
      : null,
    attempts: attempts.map(toAttempt),
    death_log: row.deathLog,
  };
}
