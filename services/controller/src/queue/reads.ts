import {
  labelsSatisfy,
  type PipelineSummary,
  type Queue,
  type Run,
  type RunDetail,
  type RunList,
  type RunNode,
  type RunStatus,
  type Runner,
  unsatisfiedTerms,
} from '@sparkwing/contracts';
import { and, asc, count, desc, eq, gte, inArray, lt, max, type SQL } from 'drizzle-orm';
import { nodeAttempts, nodeMetrics, nodes, runners, runs } from '../db/schema.js';
import type { QueueCore } from './core.js';
import { type AttemptRow, iso, toNode, toRun } from './mappers.js';
import { findNode, nodeView } from './node-ops.js';

export function getRunDetail(core: QueueCore, runId: string): RunDetail | null {
  return core.db.transaction((tx) => {
    const run = tx.select().from(runs).where(eq(runs.id, runId)).get();
    if (!run) return null;
    const rows = tx.select().from(nodes).where(eq(nodes.runId, runId)).orderBy(asc(nodes.pk)).all();
    const attempts = tx
      .select()
      .from(nodeAttempts)
      .where(eq(nodeAttempts.runId, runId))
      .orderBy(asc(nodeAttempts.attempt))
      .all();
    const byNode = new Map<string, AttemptRow[]>();
    for (const a of attempts) byNode.set(a.nodeId, [...(byNode.get(a.nodeId) ?? []), a]);
    return { run: toRun(run), nodes: rows.map((row) => toNode(row, byNode.get(row.nodeId) ?? [])) };
  });
}

export function getRun(core: QueueCore, runId: string): Run | null {
  const run = core.db.select().from(runs).where(eq(runs.id, runId)).get();
  return run ? toRun(run) : null;
}

export function getNode(core: QueueCore, runId: string, nodeId: string): RunNode | null {
  return core.db.transaction(() => {
    const row = findNode(core.q, runId, nodeId);
    return row ? nodeView(core.q, row) : null;
  });
}

export interface RunListQuery {
  pipeline?: string;
  status?: RunStatus;
  branch?: string;
  event?: string;
  limit: number;
  /** The id of the last run of the previous page (ids sort by creation time). */
  cursor?: string;
}

export function listRuns(core: QueueCore, query: RunListQuery): RunList {
  const where: SQL[] = [];
  if (query.pipeline) where.push(eq(runs.pipeline, query.pipeline));
  if (query.status) where.push(eq(runs.status, query.status));
  if (query.branch) where.push(eq(runs.branch, query.branch));
  if (query.event) where.push(eq(runs.triggerEvent, query.event));
  if (query.cursor) where.push(lt(runs.id, query.cursor));
  const rows = core.db
    .select()
    .from(runs)
    .where(and(...where))
    .orderBy(desc(runs.id))
    .limit(query.limit + 1)
    .all();
  const page = rows.slice(0, query.limit);
  return { runs: page.map(toRun), next_cursor: rows.length > query.limit ? page[page.length - 1]!.id : null };
}

export function listPipelines(core: QueueCore): PipelineSummary[] {
  const latest = core.db
    .select({ pipeline: runs.pipeline, lastId: max(runs.id), runCount: count() })
    .from(runs)
    .groupBy(runs.pipeline)
    .orderBy(asc(runs.pipeline))
    .all();
  const ids = latest.map((l) => l.lastId).filter((id): id is string => id !== null);
  const rows = ids.length > 0 ? core.db.select().from(runs).where(inArray(runs.id, ids)).all() : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return latest.flatMap((l) => {
    const row = l.lastId ? byId.get(l.lastId) : undefined;
    if (!row) return [];
    return [
      {
        pipeline: l.pipeline,
        last_run: toRun(row),
        status: row.status,
        failure_reason: row.failureReason,
        run_count: l.runCount,
      },
    ];
  });
}

/** Runners that heartbeated within the heartbeat timeout, with their labels. */
export function liveRunners(core: QueueCore, now: number): { runnerId: string; labels: string[] }[] {
  return core.db
    .select({ runnerId: runners.runnerId, labels: runners.labels })
    .from(runners)
    .where(gte(runners.lastSeen, now - core.settings.runnerHeartbeatTimeoutMs))
    .all();
}

export function queueSnapshot(core: QueueCore, limit = 500): Queue {
  const now = core.clock.now();
  const live = liveRunners(core, now);
  const ready = core.db
    .select({
      runId: nodes.runId,
      nodeId: nodes.nodeId,
      requires: nodes.requires,
      readyAt: nodes.readyAt,
      pipeline: runs.pipeline,
    })
    .from(nodes)
    .innerJoin(runs, eq(runs.id, nodes.runId))
    .where(eq(nodes.status, 'ready'))
    .orderBy(asc(nodes.readyAt), asc(nodes.pk))
    .limit(limit)
    .all();
  const unsatisfied = new Map<string, string[]>();
  const entries = ready.map((n) => {
    const satisfiable = live.some((r) => labelsSatisfy(n.requires, r.labels));
    if (!satisfiable) unsatisfied.set(JSON.stringify(n.requires), n.requires);
    const readyAt = n.readyAt ?? now;
    return {
      run_id: n.runId,
      node_id: n.nodeId,
      pipeline: n.pipeline,
      requires: n.requires,
      ready_at: iso(readyAt)!,
      wait_s: Math.max(0, now - readyAt) / 1_000,
      satisfiable,
    };
  });
  return {
    ready: entries,
    oldest_wait_s: entries.length > 0 ? entries[0]!.wait_s : null,
    unsatisfied_label_sets: [...unsatisfied.values()],
  };
}

/** Why nobody claimed a node: names the labels and whether any live runner advertises them. */
export function explainUnclaimed(requires: string[], live: { labels: string[] }[], waitedMs: number): string {
  const waited = `${Math.round(waitedMs / 1_000)}s`;
  if (requires.length === 0) {
    return live.length > 0
      ? `no runner claimed this node within ${waited}; it requires no labels and ${live.length} live runner(s) exist, so they were all busy`
      : `no runner claimed this node within ${waited}; it requires no labels and no live runner is connected`;
  }
  const labels = requires.map((t) => `"${t}"`).join(', ');
  if (live.some((r) => labelsSatisfy(requires, r.labels))) {
    return `no runner claimed this node within ${waited}; it requires labels ${labels}, which live runners advertise, so they were all busy`;
  }
  const missing = new Set(
    live.length > 0 ? live.flatMap((r) => unsatisfiedTerms(requires, r.labels)) : requires,
  );
  return `no runner claimed this node within ${waited}; it requires labels ${labels} and no live runner advertises them (unsatisfied: ${[...missing].map((t) => `"${t}"`).join(', ')})`;
}

export function listRunners(core: QueueCore): Runner[] {
  const now = core.clock.now();
  const rows = core.db.select().from(runners).orderBy(asc(runners.runnerId)).all();
  const active = core.db
    .select({ runnerId: nodes.runnerId, runId: nodes.runId, nodeId: nodes.nodeId })
    .from(nodes)
    .where(inArray(nodes.status, ['claimed', 'running']))
    .all();
  return rows.map((r) => {
    const current = active
      .filter((a) => a.runnerId === r.runnerId)
      .map((a) => ({ run_id: a.runId, node_id: a.nodeId }));
    const lost = now - r.lastSeen > core.settings.runnerHeartbeatTimeoutMs;
    return {
      runner_id: r.runnerId,
      labels: r.labels,
      version: r.version,
      capacity: r.capacity,
      first_seen: iso(r.firstSeen)!,
      last_seen: iso(r.lastSeen)!,
      state: lost ? 'lost' : current.length > 0 ? 'busy' : 'idle',
      current_nodes: current,
    };
  });
}

export function getMetrics(core: QueueCore, runId: string, nodeId: string) {
  return core.db
    .select({
      ts: nodeMetrics.ts,
      cpu_millicores: nodeMetrics.cpuMillicores,
      memory_bytes: nodeMetrics.memoryBytes,
    })
    .from(nodeMetrics)
    .where(and(eq(nodeMetrics.runId, runId), eq(nodeMetrics.nodeId, nodeId)))
    .orderBy(asc(nodeMetrics.tsMs), asc(nodeMetrics.id))
    .limit(50_000)
    .all();
}
