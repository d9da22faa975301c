import {
  ApiError,
  type FailureReason,
  type MetricPoint,
  type NodeFinishRequest,
  type RunNode,
} from '@sparkwing/contracts';
import { eq } from 'drizzle-orm';
import { nodeMetrics, nodes } from '../db/schema.js';
import type { QueueCore } from './core.js';
import { type NodeRow, toNode } from './mappers.js';
import { failAttempt, isTerminal, terminate } from './scheduler.js';
import type { Statements } from './statements.js';
import type { TxContext } from './tx.js';

export function findNode(q: Statements, runId: string, nodeId: string): NodeRow | undefined {
  return q.nodeByKey.get({ runId, nodeId });
}

export function nodeView(q: Statements, row: NodeRow): RunNode {
  return toNode(row, q.attemptsOf.all({ runId: row.runId, nodeId: row.nodeId }));
}

/**
 * The node a node token speaks for, provided the token's attempt is the current one and the lease was not
 * taken away (by a sweep, the dispatcher or a re-queue); otherwise 409 `lease_lost`.
 */
export function requireLease(q: Statements, runId: string, nodeId: string, attempt: number): NodeRow {
  const row = findNode(q, runId, nodeId);
  if (!row) throw new ApiError('not_found', `node ${nodeId} of run ${runId} not found`);
  if (row.attempt !== attempt) {
    throw new ApiError(
      'lease_lost',
      `lease lost: node ${nodeId} is on attempt ${row.attempt}, this token is for attempt ${attempt}`,
    );
  }
  if (isTerminal(row.status) && row.finishedBy !== 'runner') {
    const why = row.failureReason ? ` (${row.failureReason})` : '';
    throw new ApiError(
      'lease_lost',
      `lease lost: node ${nodeId} was ended ${row.status}${why} by the ${row.finishedBy}`,
    );
  }
  if (row.status === 'pending' || row.status === 'ready') {
    throw new ApiError('lease_lost', `lease lost: node ${nodeId} is ${row.status}, not claimed`);
  }
  return row;
}

/**
 * `requireLease`, and the node is still executing and not being cancelled: what secrets are served under.
 * A finished node's token stays valid until its expiry, so the token alone does not prove this.
 */
export function requireLiveLease(q: Statements, runId: string, nodeId: string, attempt: number): NodeRow {
  const row = requireLease(q, runId, nodeId, attempt);
  if (isTerminal(row.status)) {
    throw new ApiError('lease_lost', `lease ended: node ${nodeId} already finished ${row.status}`);
  }
  if (row.cancelRequested) {
    throw new ApiError('lease_lost', `lease ending: node ${nodeId} of run ${runId} is being cancelled`);
  }
  return row;
}

function requireActive(row: NodeRow): void {
  if (isTerminal(row.status))
    throw new ApiError('conflict', `node ${row.nodeId} already finished ${row.status}`);
}

export function startNode(
  core: QueueCore,
  runId: string,
  nodeId: string,
  attempt: number,
  runnerId?: string,
): RunNode {
  return core.write((ctx) => {
    const row = requireLease(ctx.q, runId, nodeId, attempt);
    requireActive(row);
    if (row.status === 'claimed') {
      const holder = runnerId ?? row.runnerId;
      ctx.q.startNode.run({ now: ctx.now, runnerId: holder, pk: row.pk });
      ctx.q.startAttempt.run({ now: ctx.now, runnerId: holder, runId, nodeId, attempt });
      if (row.readyAt !== null)
        core.metrics.queueToRunning.observe(Math.max(0, ctx.now - row.readyAt) / 1_000);
    }
    return nodeView(ctx.q, findNode(ctx.q, runId, nodeId)!);
  });
}

export interface NodeHeartbeat {
  leaseExpiresAt: number;
  cancelRequested: boolean;
  token: string;
}

/** Extends the lease and hands out a fresh node token valid until the new expiry. */
export function heartbeatNode(
  core: QueueCore,
  runId: string,
  nodeId: string,
  attempt: number,
  statusDetail?: string,
): NodeHeartbeat {
  return core.write((ctx) => {
    const row = requireLease(ctx.q, runId, nodeId, attempt);
    requireActive(row);
    const leaseExpiresAt = ctx.now + core.settings.leaseMs;
    if (statusDetail === undefined) ctx.q.renewLease.run({ expiresAt: leaseExpiresAt, pk: row.pk });
    else ctx.q.renewLeaseWithDetail.run({ expiresAt: leaseExpiresAt, detail: statusDetail, pk: row.pk });
    return {
      leaseExpiresAt,
      cancelRequested: row.cancelRequested,
      token: core.nodeToken(runId, nodeId, attempt, leaseExpiresAt),
    };
  });
}

/** The runner's report. The first terminal write wins: a repeat returns the node unchanged. */
export function finishNode(
  core: QueueCore,
  runId: string,
  nodeId: string,
  attempt: number,
  body: NodeFinishRequest,
): RunNode {
  return core.write((ctx) => {
    const row = requireLease(ctx.q, runId, nodeId, attempt);
    if (!isTerminal(row.status)) {
      const logs = body.logs_tail ?? body.error ?? null;
      if (body.outcome === 'success') {
        terminate(ctx, row, 'success', {
          logs,
          output: body.output,
          exitCode: body.exit_code ?? 0,
          finishedBy: 'runner',
        });
      } else {
        failAttempt(
          ctx,
          row,
          { failureReason: body.failure_reason, exitCode: body.exit_code, error: body.error, logs },
          'runner',
        );
      }
    }
    return nodeView(ctx.q, findNode(ctx.q, runId, nodeId)!);
  });
}

export interface NodeFailure {
  failure_reason?: FailureReason | null;
  exit_code?: number | null;
  error?: string | null;
}

/**
 * Fails the given attempt from outside the runner (dispatcher, sweeps). Idempotent: false when the node has
 * moved on (another attempt, already terminal). Retries and dependents are scheduled as for a runner failure.
 */
export function failNodeIn(
  ctx: TxContext,
  runId: string,
  nodeId: string,
  attempt: number,
  failure: NodeFailure,
  by: 'controller' | 'dispatcher',
): boolean {
  const row = findNode(ctx.q, runId, nodeId);
  if (!row || row.attempt !== attempt || isTerminal(row.status)) return false;
  failAttempt(
    ctx,
    row,
    {
      failureReason: failure.failure_reason ?? null,
      exitCode: failure.exit_code ?? null,
      error: failure.error ?? null,
    },
    by,
  );
  return true;
}

export function failNode(
  core: QueueCore,
  runId: string,
  nodeId: string,
  attempt: number,
  failure: NodeFailure,
): boolean {
  return core.write((ctx) => failNodeIn(ctx, runId, nodeId, attempt, failure, 'dispatcher'));
}

/** Live detail while a node waits to run (e.g. `ImagePullBackOff`); ignored once the node is terminal. */
export function setStatusDetail(
  core: QueueCore,
  runId: string,
  nodeId: string,
  detail: string | null,
): boolean {
  return core.write((ctx) => {
    const row = findNode(ctx.q, runId, nodeId);
    if (!row || isTerminal(row.status)) return false;
    ctx.tx.update(nodes).set({ statusDetail: detail }).where(eq(nodes.pk, row.pk)).run();
    return true;
  });
}

/** Stores a dead runner's log tail once (seed 004); false if the node is unknown or already has one. */
export function storeDeathLog(core: QueueCore, runId: string, nodeId: string, log: string): boolean {
  return core.write((ctx) => {
    const row = findNode(ctx.q, runId, nodeId);
    if (!row || row.deathLog !== null) return false;
    ctx.tx
      .update(nodes)
      .set({ deathLog: log.slice(-65_536) })
      .where(eq(nodes.pk, row.pk))
      .run();
    return true;
  });
}

/** Renews the lease of a claimed/running attempt for its holder; null when the attempt no longer holds it. */
export function renewLease(
  core: QueueCore,
  runId: string,
  nodeId: string,
  attempt: number,
  durationMs?: number,
): number | null {
  return core.write((ctx) => {
    const row = findNode(ctx.q, runId, nodeId);
    if (!row || row.attempt !== attempt || (row.status !== 'claimed' && row.status !== 'running'))
      return null;
    const leaseExpiresAt = ctx.now + (durationMs ?? core.settings.leaseMs);
    ctx.q.renewLease.run({ expiresAt: leaseExpiresAt, pk: row.pk });
    return leaseExpiresAt;
  });
}

export function addMetrics(
  core: QueueCore,
  runId: string,
  nodeId: string,
  attempt: number,
  points: MetricPoint[],
): number {
  return core.write((ctx) => {
    requireLease(ctx.q, runId, nodeId, attempt);
    const rows = points.map((p) => {
      const tsMs = Date.parse(p.ts);
      if (Number.isNaN(tsMs))
        throw new ApiError('validation_failed', `invalid body: points: "${p.ts}" is not a timestamp`);
      return {
        runId,
        nodeId,
        ts: new Date(tsMs).toISOString(),
        tsMs,
        cpuMillicores: p.cpu_millicores,
        memoryBytes: p.memory_bytes,
      };
    });
    ctx.tx.insert(nodeMetrics).values(rows).run();
    return rows.length;
  });
}
