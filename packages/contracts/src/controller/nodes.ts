import { z } from 'zod';
import { failureReasonSchema } from '../failure-reasons.js';
import { nodeOutcomeSchema } from '../states.js';
import { resourcesSchema, stringMapSchema, timestampSchema } from './common.js';
import { bundleDigestSchema } from '../digest.js';
import { nodeSchema, runSchema, stepInfoSchema } from './runs.js';

const nodeIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'node ids use letters, digits, ".", "_" and "-"');

export const planNodeSchema = z.strictObject({
  id: nodeIdSchema,
  needs: z.array(z.string().max(128)).max(256).optional(),
  requires: z.array(z.string().min(1).max(256)).max(32).optional(),
  timeout_s: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600)
    .optional(),
  retries: z.number().int().min(0).max(20).optional(),
  env: stringMapSchema.optional(),
  resources: resourcesSchema.optional(),
  steps: z.array(stepInfoSchema).max(256).optional(),
});
export type PlanNode = z.infer<typeof planNodeSchema>;

export const planRequestSchema = z.strictObject({
  nodes: z.array(planNodeSchema).min(1).max(2_000),
  /** Digest of the compiled pipeline `_plan` built: recorded on the run, the only bundle its jobs execute. */
  bundle_digest: bundleDigestSchema.optional(),
});
export type PlanRequest = z.infer<typeof planRequestSchema>;

export const claimRequestSchema = z.strictObject({
  runner_id: z.string().min(1).max(200),
  labels: z.array(z.string().min(1).max(256)).max(64).optional(),
  wait_ms: z.number().int().min(0).max(30_000).optional(),
  run_id: z.string().min(1).max(200).optional(),
  /** Protocol 2: the claimed node is also started (answered `running`), saving the `start` call. */
  start: z.boolean().optional(),
});
export type ClaimRequest = z.infer<typeof claimRequestSchema>;

/**
 * Version of the runner protocol the controller speaks, reported by `GET /health` as `protocol`.
 * 2 adds `start` on claims and `next` on finish; every protocol-1 call keeps working unchanged.
 */
export const CONTROLLER_PROTOCOL = 2;

export const leaseSchema = z.object({ token: z.string(), expires_at: timestampSchema });
export type Lease = z.infer<typeof leaseSchema>;

export const claimResponseSchema = z.object({ run: runSchema, node: nodeSchema, lease: leaseSchema });
export type ClaimResponse = z.infer<typeof claimResponseSchema>;

export const nodeStartRequestSchema = z.strictObject({
  runner_id: z.string().max(200).optional(),
});

export const nodeHeartbeatRequestSchema = z.strictObject({
  status_detail: z.string().max(1_000).optional(),
});
export const nodeHeartbeatResponseSchema = z.object({
  lease_expires_at: timestampSchema,
  cancel_requested: z.boolean(),
  /** A fresh node token valid until the new lease expiry; use it from now on. */
  token: z.string(),
});
export type NodeHeartbeatResponse = z.infer<typeof nodeHeartbeatResponseSchema>;

/** Deepest nesting a job output may have, and its largest serialised size. */
export const OUTPUT_LIMITS = { maxDepth: 32, maxBytes: 256 * 1024 } as const;

/** Nesting depth of a JSON value, walked without recursion (a hostile value may be thousands deep). */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > 10_000) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

const outputSchema = z.unknown().superRefine((value, ctx) => {
  if (jsonDepth(value) > OUTPUT_LIMITS.maxDepth) {
    ctx.addIssue({ code: 'custom', message: `nested deeper than ${OUTPUT_LIMITS.maxDepth} levels` });
    return;
  }
  const size = new TextEncoder().encode(JSON.stringify(value) ?? '').length;
  if (size > OUTPUT_LIMITS.maxBytes)
    ctx.addIssue({
      code: 'custom',
      message: `${size} bytes serialised; the limit is ${OUTPUT_LIMITS.maxBytes}`,
    });
});

export const nodeFinishRequestSchema = z.strictObject({
  outcome: nodeOutcomeSchema,
  failure_reason: failureReasonSchema.optional(),
  exit_code: z.number().int().min(-1).max(65_535).optional(),
  error: z.string().max(16_384).optional(),
  logs_tail: z.string().max(8_192).optional(),
  output: outputSchema.optional(),
  /**
   * Protocol 2: after recording the result, claim the runner's next node in the same call (long-polling up
   * to `next.wait_ms`). Needs the runner token in `X-Sparkwing-Claim-Token`; the answer carries `next_claim`.
   */
  next: claimRequestSchema.optional(),
});
export type NodeFinishRequest = z.infer<typeof nodeFinishRequestSchema>;

/** The finished node; with `next` in the request also `next_claim` (null when nothing came in time). */
export const nodeFinishResponseSchema = nodeSchema.extend({
  next_claim: claimResponseSchema.nullable().optional(),
});
export type NodeFinishResponse = z.infer<typeof nodeFinishResponseSchema>;

/** Header carrying the runner token on a finish that also claims (the bearer is the node token). */
export const CLAIM_TOKEN_HEADER = 'x-sparkwing-claim-token';

export const metricPointSchema = z.strictObject({
  ts: timestampSchema,
  cpu_millicores: z.number().min(0).max(10_000_000),
  memory_bytes: z.number().int().min(0),
});
export type MetricPoint = z.infer<typeof metricPointSchema>;

export const metricsBatchSchema = z.strictObject({ points: z.array(metricPointSchema).min(1).max(1_000) });
export const metricsResponseSchema = z.object({ points: z.array(metricPointSchema) });
export type MetricsResponse = z.infer<typeof metricsResponseSchema>;
