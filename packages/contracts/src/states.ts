import { z } from 'zod';

export const RUN_STATUSES = ['queued', 'running', 'success', 'failed', 'cancelled'] as const;
export const runStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof runStatusSchema>;
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['success', 'failed', 'cancelled'];

/**
 * pending: waiting on needs; ready: in the claim queue; claimed: leased to a runner, not started;
 * running: the runner reported start; the rest are terminal.
 */
export const NODE_STATUSES = [
  'pending',
  'ready',
  'claimed',
  'running',
  'success',
  'failed',
  'skipped',
  'cancelled',
] as const;
export const nodeStatusSchema = z.enum(NODE_STATUSES);
export type NodeStatus = z.infer<typeof nodeStatusSchema>;
export const TERMINAL_NODE_STATUSES: readonly NodeStatus[] = ['success', 'failed', 'skipped', 'cancelled'];

export function isTerminalNodeStatus(status: NodeStatus): boolean {
  return TERMINAL_NODE_STATUSES.includes(status);
}
export function isTerminalRunStatus(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}

export const NODE_OUTCOMES = ['success', 'failed'] as const;
export const nodeOutcomeSchema = z.enum(NODE_OUTCOMES);
export type NodeOutcome = z.infer<typeof nodeOutcomeSchema>;

/** The id of the special first node of every triggered run. */
export const PLAN_NODE_ID = '_plan';
