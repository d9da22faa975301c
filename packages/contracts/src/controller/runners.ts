import { z } from 'zod';
import { timestampSchema } from './common.js';

export const runnerHeartbeatRequestSchema = z.strictObject({
  runner_id: z.string().min(1).max(200),
  labels: z.array(z.string().min(1).max(256)).max(64),
  version: z.string().max(64).optional(),
  capacity: z.number().int().min(0).max(1_000).optional(),
});
export type RunnerHeartbeatRequest = z.infer<typeof runnerHeartbeatRequestSchema>;

export const RUNNER_STATES = ['idle', 'busy', 'lost'] as const;
export const runnerSchema = z.object({
  runner_id: z.string(),
  labels: z.array(z.string()),
  version: z.string().nullable(),
  capacity: z.number().int().nullable(),
  first_seen: timestampSchema,
  last_seen: timestampSchema,
  state: z.enum(RUNNER_STATES),
  current_nodes: z.array(z.object({ run_id: z.string(), node_id: z.string() })),
});
export type Runner = z.infer<typeof runnerSchema>;
export const runnerListSchema = z.object({ runners: z.array(runnerSchema) });
