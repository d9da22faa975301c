import { createServiceRegistry } from '@sparkwing/telemetry';
import { Counter, Gauge, Histogram } from 'prom-client';

export const CLAIM_OUTCOMES = { claimed: 'claimed', empty: 'empty', error: 'error' } as const;
export const NODE_OUTCOMES = { success: 'success', failed: 'failed', lost: 'lost' } as const;

/** The runner's own registry and families (served on --metrics-port). */
export function createRunnerMetrics() {
  const { registry } = createServiceRegistry('runner', { defaultMetrics: true });
  return {
    registry,
    claims: new Counter({
      name: 'sparkwing_runner_claims_total',
      help: 'Claim attempts by outcome (claimed, empty long-poll, error)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    execution: new Histogram({
      name: 'sparkwing_node_execution_seconds',
      help: 'Wall time of node executions by outcome',
      labelNames: ['outcome'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [registry],
    }),
    busySlots: new Gauge({
      name: 'sparkwing_runner_busy_slots',
      help: 'Slots executing a node',
      registers: [registry],
    }),
    idleSlots: new Gauge({
      name: 'sparkwing_runner_idle_slots',
      help: 'Slots free to claim',
      registers: [registry],
    }),
  };
}
export type RunnerMetrics = ReturnType<typeof createRunnerMetrics>;
