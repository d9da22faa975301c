import type { NodeStatus, Resources } from '@sparkwing/contracts';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { nodes, runs } from '../db/schema.js';
import type { QueueCore } from './core.js';

export interface ReadyNode {
  runId: string;
  nodeId: string;
  pipeline: string;
  attempt: number;
  requires: string[];
  resources: Resources;
  env: Record<string, string>;
  timeoutS: number | null;
  readyAt: number;
}

/** Ready nodes, oldest first (what a dispatcher starts runners for). */
export function listReadyNodes(
  core: QueueCore,
  options: { limit?: number; runId?: string } = {},
): ReadyNode[] {
  return core.db
    .select({
      runId: nodes.runId,
      nodeId: nodes.nodeId,
      pipeline: runs.pipeline,
      attempt: nodes.attempt,
      requires: nodes.requires,
      resources: nodes.resources,
      env: nodes.env,
      timeoutS: nodes.timeoutS,
      readyAt: nodes.readyAt,
    })
    .from(nodes)
    .innerJoin(runs, eq(runs.id, nodes.runId))
    .where(and(eq(nodes.status, 'ready'), options.runId ? eq(nodes.runId, options.runId) : undefined))
    .orderBy(asc(nodes.readyAt), asc(nodes.pk))
    .limit(options.limit ?? 1_000)
    .all()
    .map((n) => ({ ...n, readyAt: n.readyAt ?? 0 }));
}

export interface ActiveNode {
  runId: string;
  nodeId: string;
  attempt: number;
  status: Extract<NodeStatus, 'claimed' | 'running'>;
  runnerId: string | null;
  claimedAt: number | null;
  startedAt: number | null;
  leaseExpiresAt: number | null;
  cancelRequested: boolean;
}

/** Every claimed or running node (what a dispatcher reconciles against its Jobs). */
export function listActiveNodes(core: QueueCore): ActiveNode[] {
  return core.db
    .select({
      runId: nodes.runId,
      nodeId: nodes.nodeId,
      attempt: nodes.attempt,
      status: nodes.status,
      runnerId: nodes.runnerId,
      claimedAt: nodes.claimedAt,
      startedAt: nodes.startedAt,
      leaseExpiresAt: nodes.leaseExpiresAt,
      cancelRequested: nodes.cancelRequested,
    })
    .from(nodes)
    .where(inArray(nodes.status, ['claimed', 'running']))
    .orderBy(asc(nodes.claimedAt))
    .all() as ActiveNode[];
}
