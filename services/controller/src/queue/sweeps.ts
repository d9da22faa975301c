import { formatDuration } from '@sparkwing/contracts';
import { and, asc, count, eq, inArray, lte, min, sql } from 'drizzle-orm';
import { nodes, runners } from '../db/schema.js';
import type { RecoveryKind } from '../metrics.js';
import type { QueueCore } from './core.js';
import { failNodeIn } from './node-ops.js';
import { explainUnclaimed, liveRunners } from './reads.js';

export interface SweepReport {
  agentLost: number;
  leaseExpired: number;
  queueTimedOut: number;
}

/**
 * One pass of the liveness sweeps, in one transaction:
 * - lease lapsed while its runner still heartbeats (a heartbeat at or after the expiry) →
 *   `runner_lease_expired`, re-queued when retries remain;
 * - lease lapsed and the runner silent past the heartbeat timeout (or, for a holder that never
 *   heartbeated, claimed longer ago than the startup grace) → `agent_lost`;
 * - ready longer than the queue timeout → `queue_timeout`, naming the labels nobody live advertises.
 * A node whose lease is still being renewed is never touched.
 */
export function sweep(core: QueueCore): SweepReport {
  const report: SweepReport = { agentLost: 0, leaseExpired: 0, queueTimedOut: 0 };
  const { settings } = core;
  core.write((ctx) => {
    const now = ctx.now;
    const seen = new Map(
      ctx.tx
        .select({ runnerId: runners.runnerId, lastSeen: runners.lastSeen })
        .from(runners)
        .all()
        .map((r) => [r.runnerId, r.lastSeen]),
    );
    const lapsed = ctx.tx
      .select()
      .from(nodes)
      .where(and(inArray(nodes.status, ['claimed', 'running']), lte(nodes.leaseExpiresAt, now)))
      .all();
    const recover = (kind: RecoveryKind, n: (typeof lapsed)[number], error: string) => {
      if (failNodeIn(ctx, n.runId, n.nodeId, n.attempt, { failure_reason: kind, error }, 'controller')) {
        core.metrics.recoveries.inc({ kind });
        if (kind === 'agent_lost') report.agentLost += 1;
        else report.leaseExpired += 1;
        core.logger.warn('node recovered', {
          kind,
          run_id: n.runId,
          node_id: n.nodeId,
          attempt: n.attempt,
          error,
        });
      }
    };
    for (const n of lapsed) {
      const holder = n.runnerId ?? 'unknown';
      const lastSeen = seen.get(holder);
      const expiredAt = n.leaseExpiresAt ?? now;
      if (lastSeen === undefined) {
        if (now - (n.claimedAt ?? now) > settings.runnerStartupGraceMs) {
          recover(
            'agent_lost',
            n,
            `runner "${holder}" never heartbeated and stopped renewing its lease (startup grace ${formatDuration(settings.runnerStartupGraceMs)})`,
          );
        }
      } else if (now - lastSeen > settings.runnerHeartbeatTimeoutMs) {
        recover(
          'agent_lost',
          n,
          `runner "${holder}" stopped heartbeating ${formatDuration(now - lastSeen)} ago (timeout ${formatDuration(settings.runnerHeartbeatTimeoutMs)})`,
        );
      } else if (lastSeen >= expiredAt) {
        recover(
          'runner_lease_expired',
          n,
          `runner "${holder}" is alive but stopped renewing the lease of attempt ${n.attempt}, which expired ${formatDuration(now - expiredAt)} ago; the controller reclaimed it`,
        );
      }
    }
    const stale = ctx.tx
      .select()
      .from(nodes)
      .where(and(eq(nodes.status, 'ready'), lte(nodes.readyAt, now - settings.queueTimeoutMs)))
      .orderBy(asc(nodes.readyAt))
      .all();
    if (stale.length > 0) {
      const live = liveRunners(core, now);
      for (const n of stale) {
        const error = explainUnclaimed(n.requires, live, now - (n.readyAt ?? now));
        if (
          failNodeIn(
            ctx,
            n.runId,
            n.nodeId,
            n.attempt,
            { failure_reason: 'queue_timeout', error },
            'controller',
          )
        ) {
          core.metrics.recoveries.inc({ kind: 'queue_timeout' });
          report.queueTimedOut += 1;
          core.logger.warn('node recovered', {
            kind: 'queue_timeout',
            run_id: n.runId,
            node_id: n.nodeId,
            error,
          });
        }
      }
    }
  });
  return report;
}

export interface QueueGauges {
  pendingNodes: number;
  activeRunners: number;
  oldestReadyAgeSeconds: number;
}

/** Recomputes the queue gauges (claim-queue depth, active runners, oldest ready age). */
export function refreshGauges(core: QueueCore): QueueGauges {
  const now = core.clock.now();
  const pending = core.db
    .select({ n: count(), oldest: min(nodes.readyAt) })
    .from(nodes)
    .where(eq(nodes.status, 'ready'))
    .get();
  // Counted in SQL: loading every runner row (and parsing its labels) made a scrape slow with 10,000 runners.
  const active = core.db.get<{ n: number }>(sql`
    select count(*) as n from (
      select ${runners.runnerId} as id from ${runners}
        where ${runners.lastSeen} >= ${now - core.settings.runnerHeartbeatTimeoutMs}
      union
      select ${nodes.runnerId} from ${nodes}
        where ${nodes.status} in ('claimed', 'running') and ${nodes.leaseExpiresAt} > ${now}
          and ${nodes.runnerId} is not null
    )`);
  const gauges = {
    pendingNodes: pending?.n ?? 0,
    activeRunners: active?.n ?? 0,
    oldestReadyAgeSeconds: pending?.oldest ? Math.max(0, now - pending.oldest) / 1_000 : 0,
  };
  core.metrics.pendingNodes.set(gauges.pendingNodes);
  core.metrics.activeRunners.set(gauges.activeRunners);
  core.metrics.oldestReadyAge.set(gauges.oldestReadyAgeSeconds);
  return gauges;
}
