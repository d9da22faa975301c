import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { UNKNOWN } from './metrics.js';

/** States of a pool PVC (label `sparkwing.dev/pvc-state` and the size gauge's `state`). */
export const PVC_STATES = { available: 'available', inUse: 'in-use' } as const;
export type PvcState = (typeof PVC_STATES)[keyof typeof PVC_STATES];
/** Gauge label values (underscores, as every other label value). */
const STATE_LABEL: Record<PvcState, string> = { available: 'available', 'in-use': 'in_use' };

/** How a checkout ended. */
export const CHECKOUT_OUTCOMES = {
  /** A free warm PVC was handed out at once. */
  warm: 'warm',
  /** The pool was at max; a PVC came back within the wait. */
  waited: 'waited',
  /** None was free and the pool was under max: a new (cold) PVC was created. */
  created: 'created',
  /** The same holder already had one (controller restart, re-created Job). */
  readopted: 'readopted',
  /** None came back within the wait: the node ran without a cache volume. */
  cold: 'cold',
  /** The Kubernetes API failed; the node ran without a cache volume. */
  apiError: 'api_error',
} as const;
export type CheckoutOutcome = (typeof CHECKOUT_OUTCOMES)[keyof typeof CHECKOUT_OUTCOMES];

/** Why a node did not get a warm PVC at once. */
export const MISS_REASONS = {
  noneFree: 'none_free',
  exhausted: 'exhausted',
  apiError: 'api_error',
} as const;
export type MissReason = (typeof MISS_REASONS)[keyof typeof MISS_REASONS];

const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * The warm-pool surface in the shape of seed 001's warm capacity: size by state, checkouts by outcome,
 * misses by reason, checkout wait, effective target and headroom. Pool names come from configuration
 * (never ids); an empty pool becomes `unknown`.
 */
export class PvcPoolMetrics {
  readonly size: Gauge<'pool' | 'state'>;
  readonly checkouts: Counter<'pool' | 'outcome'>;
  readonly misses: Counter<'pool' | 'reason'>;
  readonly wait: Histogram<'pool'>;
  readonly effectiveTarget: Gauge<'pool'>;
  readonly headroom: Gauge<'pool'>;

  constructor(registry: Registry, pools: readonly string[]) {
    const registers = [registry];
    this.size = new Gauge({
      name: 'sparkwing_pvc_pool_size',
      help: 'Docker-cache PVCs of a warm pool by state',
      labelNames: ['pool', 'state'],
      registers,
    });
    this.checkouts = new Counter({
      name: 'sparkwing_pvc_pool_checkouts_total',
      help: 'Docker-cache PVC checkouts by pool and outcome (warm, waited, created, readopted, cold, api_error)',
      labelNames: ['pool', 'outcome'],
      registers,
    });
    this.misses = new Counter({
      name: 'sparkwing_pvc_pool_misses_total',
      help: 'Checkouts that found no free warm PVC, by pool and reason',
      labelNames: ['pool', 'reason'],
      registers,
    });
    this.wait = new Histogram({
      name: 'sparkwing_pvc_pool_checkout_wait_seconds',
      help: 'Time from asking for a PVC until one was handed out or the node went cold',
      labelNames: ['pool'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.effectiveTarget = new Gauge({
      name: 'sparkwing_pvc_pool_effective_target',
      help: 'PVCs the pool aims to hold: max(min, checked out + waiting), capped at max',
      labelNames: ['pool'],
      registers,
    });
    this.headroom = new Gauge({
      name: 'sparkwing_pvc_pool_headroom',
      help: 'PVCs the pool may still create before reaching max',
      labelNames: ['pool'],
      registers,
    });
    for (const pool of pools) {
      for (const state of Object.values(STATE_LABEL)) this.size.set({ pool, state }, 0);
      for (const outcome of Object.values(CHECKOUT_OUTCOMES)) this.checkouts.inc({ pool, outcome }, 0);
      for (const reason of Object.values(MISS_REASONS)) this.misses.inc({ pool, reason }, 0);
    }
  }

  observeCheckout(pool: string, outcome: CheckoutOutcome, waitS: number, miss?: MissReason): void {
    const p = pool || UNKNOWN;
    this.checkouts.inc({ pool: p, outcome });
    if (miss) this.misses.inc({ pool: p, reason: miss });
    this.wait.observe({ pool: p }, Math.max(0, waitS));
  }

  setSizes(pool: string, counts: Record<PvcState, number>, target: number, headroom: number): void {
    const p = pool || UNKNOWN;
    for (const [state, label] of Object.entries(STATE_LABEL)) {
      this.size.set({ pool: p, state: label }, counts[state as PvcState]);
    }
    this.effectiveTarget.set({ pool: p }, target);
    this.headroom.set({ pool: p }, Math.max(0, headroom));
  }
}
