import { createServiceRegistry, type ServiceRegistry } from '@sparkwing/telemetry';
import { Counter, Gauge, Histogram } from 'prom-client';
import { createTriggerMetrics, type TriggerMetrics } from './triggers/metrics.js';

/** Label values; never run, node, runner or token ids. */
export const CLAIM_OUTCOMES = { claimed: 'claimed', empty: 'empty', error: 'error' } as const;
export type ClaimOutcome = (typeof CLAIM_OUTCOMES)[keyof typeof CLAIM_OUTCOMES];
export const RECOVERY_KINDS = ['agent_lost', 'runner_lease_expired', 'queue_timeout'] as const;
export type RecoveryKind = (typeof RECOVERY_KINDS)[number];
/** `recoveries` kind of a claim put back because its long-poll client was gone (not a failure reason). */
export const CLAIM_UNDELIVERED = 'claim_undelivered';
export const WEBHOOK_OUTCOMES = [
  'triggered',
  'ignored',
  'duplicate',
  'pong',
  'unauthorized',
  'too_large',
  'invalid',
] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];
/** `failure_reason` label for failures without one (and for successes). */
export const NO_REASON = 'none';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600];

export interface ControllerMetrics extends ServiceRegistry {
  runsTotal: Counter<'pipeline' | 'status'>;
  runDuration: Histogram<string>;
  nodesClaimed: Counter<string>;
  pendingNodes: Gauge<string>;
  activeRunners: Gauge<string>;
  nodesEnqueued: Counter<string>;
  nodeClaims: Counter<'outcome'>;
  queueWait: Histogram<string>;
  queueToRunning: Histogram<string>;
  nodesCompleted: Counter<'outcome' | 'failure_reason'>;
  nodesRequeued: Counter<'reason'>;
  claimRequestDuration: Histogram<'outcome'>;
  webhookDeliveries: Counter<'event' | 'outcome'>;
  recoveries: Counter<'kind'>;
  oldestReadyAge: Gauge<string>;
  /** Schedules and GitHub commit statuses (docs/triggers.md). */
  triggers: TriggerMetrics;
}

/** The controller's own registry: the shared HTTP families plus seed 000 and dispatch (seed 003) families. */
export function createControllerMetrics(options: { defaultMetrics?: boolean } = {}): ControllerMetrics {
  const base = createServiceRegistry('controller', options);
  const registers = [base.registry];
  return {
    ...base,
    triggers: createTriggerMetrics(base.registry),
    runsTotal: new Counter({
      name: 'sparkwing_runs_total',
      help: 'Runs that reached a terminal state, by pipeline and status',
      labelNames: ['pipeline', 'status'],
      registers,
    }),
    runDuration: new Histogram({
      name: 'sparkwing_run_duration_seconds',
      help: 'End-to-end wall time of a run from create to finish',
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers,
    }),
    nodesClaimed: new Counter({
      name: 'sparkwing_nodes_claimed_total',
      help: 'Successful node claims',
      registers,
    }),
    pendingNodes: new Gauge({
      name: 'sparkwing_pending_nodes',
      help: 'Claim-queue depth: ready, unclaimed nodes',
      registers,
    }),
    activeRunners: new Gauge({
      name: 'sparkwing_active_runners',
      help: 'Runners that heartbeated within the runner heartbeat timeout or hold an unexpired lease',
      registers,
    }),
    nodesEnqueued: new Counter({
      name: 'sparkwing_nodes_enqueued_total',
      help: 'Nodes that entered the claim queue (became ready, including re-queues)',
      registers,
    }),
    nodeClaims: new Counter({
      name: 'sparkwing_node_claims_total',
      help: 'Claim requests by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    queueWait: new Histogram({
      name: 'sparkwing_node_queue_wait_seconds',
      help: 'Time from a node becoming ready to being claimed',
      buckets: WAIT_BUCKETS,
      registers,
    }),
    queueToRunning: new Histogram({
      name: 'sparkwing_node_queue_to_running_seconds',
      help: 'Time from a node becoming ready to its runner reporting start',
      buckets: WAIT_BUCKETS,
      registers,
    }),
    nodesCompleted: new Counter({
      name: 'sparkwing_nodes_completed_total',
      help: 'Nodes that reached a terminal state, by outcome and failure reason',
      labelNames: ['outcome', 'failure_reason'],
      registers,
    }),
    nodesRequeued: new Counter({
      name: 'sparkwing_nodes_requeued_total',
      help: 'Failed attempts put back in the queue because retries remained, by reason',
      labelNames: ['reason'],
      registers,
    }),
    claimRequestDuration: new Histogram({
      name: 'sparkwing_claim_request_duration_seconds',
      help: 'Claim endpoint latency (including long-poll wait) by outcome',
      labelNames: ['outcome'],
      buckets: [...LATENCY_BUCKETS, 60],
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'sparkwing_webhook_deliveries_total',
      help: 'GitHub webhook deliveries by event and outcome',
      labelNames: ['event', 'outcome'],
      registers,
    }),
    recoveries: new Counter({
      name: 'sparkwing_recoveries_total',
      help: 'Nodes the sweeps failed, by kind',
      labelNames: ['kind'],
      registers,
    }),
    oldestReadyAge: new Gauge({
      name: 'sparkwing_oldest_ready_node_age_seconds',
      help: 'Age of the oldest ready, unclaimed node (0 when the queue is empty)',
      registers,
    }),
  };
}
