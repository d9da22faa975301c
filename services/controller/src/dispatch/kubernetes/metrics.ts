import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Label values of the runner lifecycle families (seed 001): typed constants, never ids. */
export const LIFECYCLE_OPERATIONS = {
  spawn: 'spawn',
  start: 'start',
  finish: 'finish',
  drain: 'drain',
  retire: 'retire',
  markLost: 'mark_lost',
  reclaim: 'reclaim',
  /** Warm-pool PVC transitions (docs/docker-builds.md). */
  pvcCreate: 'pvc_create',
  pvcCheckout: 'pvc_checkout',
  pvcReturn: 'pvc_return',
  pvcReap: 'pvc_reap',
} as const;
export type LifecycleOperation = (typeof LIFECYCLE_OPERATIONS)[keyof typeof LIFECYCLE_OPERATIONS];

export const LIFECYCLE_OUTCOMES = {
  success: 'success',
  alreadyExists: 'already_exists',
  apiError: 'api_error',
  failed: 'failed',
  oomKilled: 'oom_killed',
  evicted: 'evicted',
  vanished: 'vanished',
  timeout: 'timeout',
  imagePull: 'image_pull',
  unschedulable: 'unschedulable',
  leaseLost: 'lease_lost',
} as const;
export type LifecycleOutcome = (typeof LIFECYCLE_OUTCOMES)[keyof typeof LIFECYCLE_OUTCOMES];

/** Which code path caused a transition. */
export const LIFECYCLE_ORIGINS = {
  dispatch: 'dispatch',
  podWatch: 'pod_watch',
  relist: 'relist',
  cancel: 'cancel',
  adopt: 'adopt',
  strandedReconcile: 'stranded_reconcile',
  imagePullGrace: 'image_pull_grace',
  unschedulableGrace: 'unschedulable_grace',
  ttl: 'ttl',
  shutdown: 'shutdown',
  /** The warm pool's own upkeep (min size, reaping beyond max). */
  poolMaintain: 'pool_maintain',
} as const;
export type LifecycleOrigin = (typeof LIFECYCLE_ORIGINS)[keyof typeof LIFECYCLE_ORIGINS];

export const SPAWN_FAILURE_STAGES = {
  jobCreate: 'job_create',
  secretCreate: 'secret_create',
  podSchedule: 'pod_schedule',
  imagePull: 'image_pull',
  containerCreate: 'container_create',
  contextCanceled: 'context_canceled',
} as const;
export type SpawnFailureStage = (typeof SPAWN_FAILURE_STAGES)[keyof typeof SPAWN_FAILURE_STAGES];

export const HEALTH_RESULTS = { pass: 'pass', fail: 'fail' } as const;
export type HealthResult = (typeof HEALTH_RESULTS)[keyof typeof HEALTH_RESULTS];

export const JOB_STATES = ['pending', 'running', 'succeeded', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const STRANDED_OUTCOMES = { deleted: 'deleted', deleteFailed: 'delete_failed', kept: 'kept' } as const;
export type StrandedOutcome = (typeof STRANDED_OUTCOMES)[keyof typeof STRANDED_OUTCOMES];

export const DEATH_LOG_OUTCOMES = { captured: 'captured', failed: 'failed', empty: 'empty' } as const;
export type DeathLogOutcome = (typeof DEATH_LOG_OUTCOMES)[keyof typeof DEATH_LOG_OUTCOMES];

export const UNKNOWN = 'unknown';

const DURATION_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Registered on the controller's registry by the Kubernetes dispatcher. */
export class RunnerLifecycleMetrics {
  readonly transitions: Counter<'operation' | 'outcome' | 'image' | 'origin'>;
  readonly transitionDuration: Histogram<'operation'>;
  readonly spawnFailures: Counter<'reason' | 'image'>;
  readonly healthChecks: Counter<'result' | 'image'>;
  readonly drainDuration: Histogram<string>;
  readonly jobs: Gauge<'state'>;
  readonly strandedJobs: Counter<'outcome'>;
  readonly deathLogs: Counter<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.transitions = new Counter({
      name: 'sparkwing_runner_lifecycle_transitions_total',
      help: 'Runner lifecycle transitions by operation, outcome, runner image and originating code path',
      labelNames: ['operation', 'outcome', 'image', 'origin'],
      registers,
    });
    this.transitionDuration = new Histogram({
      name: 'sparkwing_runner_lifecycle_transition_duration_seconds',
      help: 'Time a runner lifecycle transition took (API calls included), by operation',
      labelNames: ['operation'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.spawnFailures = new Counter({
      name: 'sparkwing_runner_spawn_failures_total',
      help: 'Runner spawns that failed, by the stage that failed and runner image',
      labelNames: ['reason', 'image'],
      registers,
    });
    this.healthChecks = new Counter({
      name: 'sparkwing_runner_health_checks_total',
      help: 'Periodic checks of live runner pods, by result and runner image',
      labelNames: ['result', 'image'],
      registers,
    });
    this.drainDuration = new Histogram({
      name: 'sparkwing_runner_drain_duration_seconds',
      help: 'Wall time from deleting a runner Job until its pod was gone',
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.jobs = new Gauge({
      name: 'sparkwing_runner_jobs',
      help: 'Runner Jobs by state, polled from the Kubernetes API',
      labelNames: ['state'],
      registers,
    });
    this.strandedJobs = new Counter({
      name: 'sparkwing_runner_stranded_jobs_reconciled_total',
      help: 'Runner Jobs found for nodes that are already terminal, by what was done with them',
      labelNames: ['outcome'],
      registers,
    });
    this.deathLogs = new Counter({
      name: 'sparkwing_death_logs_captured_total',
      help: 'Death-log captures of abnormally ended runner pods, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    for (const state of JOB_STATES) this.jobs.set({ state }, 0);
  }

  /**
   * Records one transition. An empty operation drops the sample (it has no useful label), an empty
   * origin or image becomes `unknown` (visible rather than lost), and a negative duration counts as 0.
   */
  observeTransition(input: {
    operation: LifecycleOperation | '';
    outcome: LifecycleOutcome;
    image: string;
    origin: LifecycleOrigin | '';
    durationS?: number;
  }): void {
    if (!input.operation) return;
    this.transitions.inc({
      operation: input.operation,
      outcome: input.outcome,
      image: input.image || UNKNOWN,
      origin: input.origin || UNKNOWN,
    });
    if (input.durationS !== undefined) {
      this.transitionDuration.observe({ operation: input.operation }, Math.max(0, input.durationS));
    }
  }

  observeSpawnFailure(stage: SpawnFailureStage, image: string): void {
    this.spawnFailures.inc({ reason: stage, image: image || UNKNOWN });
  }

  observeHealthCheck(result: HealthResult, image: string): void {
    this.healthChecks.inc({ result, image: image || UNKNOWN });
  }

  observeDrain(durationS: number): void {
    this.drainDuration.observe(Math.max(0, durationS));
  }

  setJobCounts(counts: Record<JobState, number>): void {
    for (const state of JOB_STATES) this.jobs.set({ state }, counts[state]);
  }
}
