import { randomBytes } from 'node:crypto';
import type { CoreV1Api, V1Job, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { Logger } from '@sparkwing/telemetry';
import { jobFinished } from './classify.js';
import type { PvcPoolConfig } from './docker-config.js';
import { LABELS, MANAGED_BY } from './job-spec.js';
import { apiMessage, apiStatus } from './kube.js';
import {
  LIFECYCLE_OPERATIONS as OP,
  LIFECYCLE_OUTCOMES as OUTCOME,
  type LifecycleOperation,
  type LifecycleOrigin,
  type LifecycleOutcome,
} from './metrics.js';
import {
  CHECKOUT_OUTCOMES as CHECKOUT,
  type CheckoutOutcome,
  MISS_REASONS as MISS,
  type MissReason,
  PVC_STATES,
  type PvcPoolMetrics,
  type PvcState,
} from './pvc-pool-metrics.js';

/** Labels of pool PVCs: the API's copy of the pool's state, read back after a restart. */
export const POOL_LABELS = {
  pool: 'sparkwing.dev/pool',
  state: 'sparkwing.dev/pvc-state',
  /** The runner Job holding the PVC (Job names are valid label values). */
  holder: 'sparkwing.dev/holder',
} as const;
export const POOL_APP = 'sparkwing-pvc-pool';
export const POOL_SELECTOR = `${LABELS.name}=${POOL_APP},${LABELS.managedBy}=${MANAGED_BY}`;

interface PoolClaim {
  name: string;
  pool: string;
  state: PvcState;
  holder?: string;
  /** When it last changed hands here (a relist older than this cannot judge its holder). */
  since: number;
}

export interface PvcPoolDeps {
  core: CoreV1Api;
  namespace: string;
  pools: PvcPoolConfig[];
  metrics: PvcPoolMetrics;
  log: Logger;
  now: () => number;
  transition(operation: LifecycleOperation, outcome: LifecycleOutcome, origin: LifecycleOrigin): void;
  stopped(): boolean;
}

/** JSON-pointer escape of a label key. */
const pointer = (key: string) => `/metadata/labels/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

/**
 * Warm pools of Docker-cache PVCs (seed 002 "pool management"). A node asking for a pool's cache checks a
 * PVC out for its runner Job; it is returned when the Job's pod has ended, whatever the ending, or by the
 * relist once the holder is gone (restart included: the state lives in the PVCs' labels). Hand-overs are
 * compare-and-swap JSON patches on the state label, so two controllers can never hand one PVC to two Jobs.
 */
export class PvcPool {
  private readonly claims = new Map<string, PoolClaim>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly waitingCount = new Map<string, number>();

  constructor(private readonly deps: PvcPoolDeps) {}

  pool(name: string): PvcPoolConfig | undefined {
    return this.deps.pools.find((p) => p.name === name);
  }

  /** The PVC a holder has checked out, if any. */
  heldBy(holder: string): string | undefined {
    for (const c of this.claims.values()) if (c.holder === holder) return c.name;
    return undefined;
  }

  /** Loads the pools' PVCs from their labels (start and restart), then tops pools up to `min`. */
  async adopt(): Promise<void> {
    const list = await this.deps.core.listNamespacedPersistentVolumeClaim({
      namespace: this.deps.namespace,
      labelSelector: POOL_SELECTOR,
    });
    this.claims.clear();
    for (const pvc of list.items) this.remember(pvc);
    this.deps.log.info('pvc pools adopted', {
      pvcs: this.claims.size,
      in_use: [...this.claims.values()].filter((c) => c.state === PVC_STATES.inUse).length,
    });
    await this.maintain();
  }

  private remember(pvc: V1PersistentVolumeClaim): void {
    const labels = pvc.metadata?.labels ?? {};
    const name = pvc.metadata?.name;
    const pool = labels[POOL_LABELS.pool];
    if (!name || !pool || pvc.metadata?.deletionTimestamp) return;
    const state = labels[POOL_LABELS.state] === PVC_STATES.inUse ? PVC_STATES.inUse : PVC_STATES.available;
    const holder = labels[POOL_LABELS.holder];
    this.claims.set(name, {
      name,
      pool,
      state,
      ...(state === PVC_STATES.inUse && holder ? { holder } : {}),
      since: this.deps.now(),
    });
  }

  /**
   * Checks a PVC of `poolName` out for `holder` (a runner Job name). Free → at once; none free and under
   * max → a new one; at max → waits up to the pool's wait for a return, then null (the node runs cold).
   */
  async checkout(poolName: string, holder: string): Promise<string | null> {
    const pool = this.pool(poolName);
    if (!pool) return null;
    const started = this.deps.now();
    const done = (claim: string | null, outcome: CheckoutOutcome, miss?: MissReason) => {
      this.deps.metrics.observeCheckout(pool.name, outcome, (this.deps.now() - started) / 1000, miss);
      this.deps.transition(OP.pvcCheckout, claim ? OUTCOME.success : OUTCOME.failed, 'dispatch');
      this.publish(pool);
      this.deps.log.info('pvc checkout', { pool: pool.name, job: holder, pvc: claim, outcome });
      return claim;
    };
    const held = this.heldBy(holder);
    if (held) return done(held, CHECKOUT.readopted);
    let missed: MissReason | undefined;
    this.waitingCount.set(pool.name, (this.waitingCount.get(pool.name) ?? 0) + 1);
    try {
      for (;;) {
        const taken = await this.takeFree(pool, holder);
        if (taken === 'api_error') return done(null, CHECKOUT.apiError, missed ?? MISS.apiError);
        if (taken) return done(taken, missed ? CHECKOUT.waited : CHECKOUT.warm, missed);
        if (this.count(pool.name) < pool.max) {
          const created = await this.create(pool, holder);
          return created
            ? done(created, CHECKOUT.created, MISS.noneFree)
            : done(null, CHECKOUT.apiError, MISS.apiError);
        }
        if (!missed)
          this.deps.log.info('pvc pool exhausted; waiting for a return', { pool: pool.name, job: holder });
        missed = MISS.exhausted;
        const remaining = started + pool.waitMs - this.deps.now();
        if (remaining <= 0 || this.deps.stopped()) return done(null, CHECKOUT.cold, missed);
        this.publish(pool);
        await this.waitForReturn(pool.name, Math.min(remaining, 1_000));
      }
    } finally {
      this.waitingCount.set(pool.name, (this.waitingCount.get(pool.name) ?? 1) - 1);
    }
  }

  /** Returns the PVC `holder` had (if any) to its pool; reaps it instead when the pool is over max. */
  async release(holder: string, origin: LifecycleOrigin): Promise<void> {
    const name = this.heldBy(holder);
    if (!name) return;
    const claim = this.claims.get(name)!;
    const pool = this.pool(claim.pool);
    if (!pool || this.count(claim.pool) > pool.max) {
      await this.reap(claim, origin);
      return;
    }
    // Marked free here first so a concurrent checkout cannot see it held twice; reverted on failure.
    claim.state = PVC_STATES.available;
    claim.holder = undefined;
    claim.since = this.deps.now();
    const ok = await this.patchState(
      name,
      { state: PVC_STATES.inUse, holder },
      { state: PVC_STATES.available },
    );
    if (ok === 'gone') this.claims.delete(name);
    if (ok === 'error') {
      Object.assign(claim, { state: PVC_STATES.inUse, holder });
      this.deps.transition(OP.pvcReturn, OUTCOME.apiError, origin);
      return;
    }
    this.deps.transition(OP.pvcReturn, OUTCOME.success, origin);
    this.deps.log.info('pvc returned', { pool: claim.pool, pvc: name, job: holder });
    if (pool) this.publish(pool);
    for (const wake of this.waiters.get(claim.pool) ?? []) wake();
  }

  /** Marks a holder's claim as just confirmed (its Job now exists): relists older than this skip it. */
  touch(holder: string): void {
    for (const c of this.claims.values()) if (c.holder === holder) c.since = this.deps.now();
  }

  /** Returns the PVC of a runner pod that has ended (the watch path; the relist catches what it misses). */
  onPod(pod: V1Pod, deleted: boolean, origin: LifecycleOrigin): void {
    const holder =
      pod.metadata?.labels?.['batch.kubernetes.io/job-name'] ?? pod.metadata?.labels?.['job-name'];
    if (!holder || !this.heldBy(holder)) return;
    if (deleted || TERMINAL_PHASES.has(pod.status?.phase ?? '')) void this.release(holder, origin);
  }

  /**
   * Relist: a PVC whose holder Job is gone, or finished with no live pod, goes back to its pool. Claims
   * touched after `listedAt`, and holders still being spawned, are left alone (the lists predate their Job).
   */
  async reconcile(
    jobs: V1Job[],
    pods: V1Pod[],
    listedAt: number,
    origin: LifecycleOrigin,
    spawning: ReadonlySet<string>,
  ): Promise<void> {
    const jobByName = new Map(jobs.map((j) => [j.metadata?.name ?? '', j]));
    const livePods = new Set<string>();
    for (const pod of pods) {
      const name =
        pod.metadata?.labels?.['batch.kubernetes.io/job-name'] ?? pod.metadata?.labels?.['job-name'];
      if (name && !TERMINAL_PHASES.has(pod.status?.phase ?? '')) livePods.add(name);
    }
    for (const claim of [...this.claims.values()]) {
      if (claim.state !== PVC_STATES.inUse || claim.since >= listedAt) continue;
      const holder = claim.holder;
      if (holder && spawning.has(holder)) continue;
      if (holder) {
        const job = jobByName.get(holder);
        if (livePods.has(holder)) continue;
        if (job && !jobFinished(job) && !job.metadata?.deletionTimestamp) continue;
        await this.release(holder, origin);
      } else {
        // In use without a holder label (written by hand?): nothing can be using it through us.
        claim.holder = '';
        await this.release('', origin);
      }
    }
    await this.maintain();
  }

  /** Tops each pool up to `min` with free PVCs, reaps free ones beyond `max`, and publishes the gauges. */
  async maintain(): Promise<void> {
    for (const pool of this.deps.pools) {
      while (this.count(pool.name) < pool.min && !this.deps.stopped()) {
        if (!(await this.create(pool))) break;
      }
      for (const claim of [...this.claims.values()]) {
        if (this.count(pool.name) <= pool.max) break;
        if (claim.pool === pool.name && claim.state === PVC_STATES.available) {
          await this.reap(claim, 'pool_maintain');
        }
      }
      this.publish(pool);
    }
  }

  private count(pool: string): number {
    let n = 0;
    for (const c of this.claims.values()) if (c.pool === pool) n += 1;
    return n;
  }

  private publish(pool: PvcPoolConfig): void {
    const counts: Record<PvcState, number> = { available: 0, 'in-use': 0 };
    for (const c of this.claims.values()) if (c.pool === pool.name) counts[c.state] += 1;
    const waiting = this.waitingCount.get(pool.name) ?? 0;
    const target = Math.min(pool.max, Math.max(pool.min, counts['in-use'] + waiting));
    this.deps.metrics.setSizes(pool.name, counts, target, pool.max - this.count(pool.name));
  }

  private async takeFree(pool: PvcPoolConfig, holder: string): Promise<string | null | 'api_error'> {
    for (const claim of [...this.claims.values()]) {
      if (claim.pool !== pool.name || claim.state !== PVC_STATES.available) continue;
      claim.state = PVC_STATES.inUse;
      claim.holder = holder;
      claim.since = this.deps.now();
      const ok = await this.patchState(
        claim.name,
        { state: PVC_STATES.available },
        { state: PVC_STATES.inUse, holder },
      );
      if (ok === true) return claim.name;
      if (ok === 'error') {
        Object.assign(claim, { state: PVC_STATES.available, holder: undefined });
        return 'api_error';
      }
      // Taken by another controller or deleted: re-read it and try the next one.
      await this.refresh(claim.name);
    }
    return null;
  }

  private async refresh(name: string): Promise<void> {
    this.claims.delete(name);
    try {
      this.remember(
        await this.deps.core.readNamespacedPersistentVolumeClaim({ name, namespace: this.deps.namespace }),
      );
    } catch (error) {
      if (apiStatus(error) !== 404)
        this.deps.log.warn('re-reading a pool pvc failed', { pvc: name, error: apiMessage(error) });
    }
  }

  private async create(pool: PvcPoolConfig, holder?: string): Promise<string | null> {
    const name = `sparkwing-${pool.name}-${randomBytes(4).toString('hex')}`;
    const state = holder ? PVC_STATES.inUse : PVC_STATES.available;
    this.claims.set(name, {
      name,
      pool: pool.name,
      state,
      ...(holder ? { holder } : {}),
      since: this.deps.now(),
    });
    try {
      await this.deps.core.createNamespacedPersistentVolumeClaim({
        namespace: this.deps.namespace,
        body: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: {
            name,
            labels: {
              [LABELS.name]: POOL_APP,
              [LABELS.managedBy]: MANAGED_BY,
              [POOL_LABELS.pool]: pool.name,
              [POOL_LABELS.state]: state,
              ...(holder ? { [POOL_LABELS.holder]: holder } : {}),
            },
          },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: pool.size } },
            ...(pool.storageClass ? { storageClassName: pool.storageClass } : {}),
          },
        },
      });
      this.deps.transition(OP.pvcCreate, OUTCOME.success, holder ? 'dispatch' : 'pool_maintain');
      this.deps.log.info('pvc created', { pool: pool.name, pvc: name, job: holder ?? null });
      return name;
    } catch (error) {
      this.claims.delete(name);
      this.deps.transition(OP.pvcCreate, OUTCOME.apiError, holder ? 'dispatch' : 'pool_maintain');
      this.deps.log.warn('creating a pool pvc failed', { pool: pool.name, error: apiMessage(error) });
      return null;
    }
  }

  private async reap(claim: PoolClaim, origin: LifecycleOrigin): Promise<void> {
    this.claims.delete(claim.name);
    try {
      await this.deps.core.deleteNamespacedPersistentVolumeClaim({
        name: claim.name,
        namespace: this.deps.namespace,
      });
      this.deps.transition(OP.pvcReap, OUTCOME.success, origin);
      this.deps.log.info('pvc reaped', { pool: claim.pool, pvc: claim.name });
    } catch (error) {
      if (apiStatus(error) === 404) return;
      this.claims.set(claim.name, claim);
      this.deps.transition(OP.pvcReap, OUTCOME.apiError, origin);
    }
  }

  /** Compare-and-swap of the state (and holder) labels; false when another writer got there first. */
  private async patchState(
    name: string,
    from: { state: PvcState; holder?: string },
    to: { state: PvcState; holder?: string },
  ): Promise<true | false | 'gone' | 'error'> {
    const ops: Array<{ op: string; path: string; value?: string }> = [
      { op: 'test', path: pointer(POOL_LABELS.state), value: from.state },
      { op: 'replace', path: pointer(POOL_LABELS.state), value: to.state },
    ];
    if (from.holder) {
      ops.push({ op: 'test', path: pointer(POOL_LABELS.holder), value: from.holder });
      ops.push(
        to.holder
          ? { op: 'replace', path: pointer(POOL_LABELS.holder), value: to.holder }
          : { op: 'remove', path: pointer(POOL_LABELS.holder) },
      );
    } else if (to.holder) ops.push({ op: 'add', path: pointer(POOL_LABELS.holder), value: to.holder });
    try {
      await this.deps.core.patchNamespacedPersistentVolumeClaim({
        name,
        namespace: this.deps.namespace,
        body: ops,
      });
      return true;
    } catch (error) {
      const status = apiStatus(error);
      if (status === 404) return 'gone';
      if (status === 422 || status === 409) return false;
      this.deps.log.warn('patching a pool pvc failed', { pvc: name, error: apiMessage(error) });
      return 'error';
    }
  }

  private waitForReturn(pool: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(pool) ?? new Set<() => void>();
      this.waiters.set(pool, set);
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
  }
}
