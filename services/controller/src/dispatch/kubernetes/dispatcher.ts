import { labelsSatisfy } from '@sparkwing/contracts';
import type { Dispatcher } from '../types.js';
import { DispatchContext, type KubernetesDispatcherDeps } from './context.js';
import { jobName, RUNNER_SELECTOR } from './job-spec.js';
import { apiMessage } from './kube.js';
import { LIFECYCLE_ORIGINS as ORIGIN, type RunnerLifecycleMetrics } from './metrics.js';
import { PodHandler } from './pod-handler.js';
import { PodWatch } from './pod-watch.js';
import { Reconciler } from './reconciler.js';
import { Spawner } from './spawner.js';

/** Job creations in flight at once (each is a few API round trips). */
const SPAWN_CONCURRENCY = 8;

export type { DispatchQueue, KubernetesDispatcherDeps } from './context.js';

/**
 * Turns ready nodes into batch/v1 Jobs running `sparkwing-runner worker`, watches their pods and
 * classifies how they end (OOM, eviction, exit codes, image pull back-off), captures death logs, and
 * re-adopts its Jobs after a restart.
 */
export class KubernetesDispatcher implements Dispatcher {
  readonly metrics: RunnerLifecycleMetrics;
  private readonly ctx: DispatchContext;
  private readonly spawner: Spawner;
  private readonly pods: PodHandler;
  private readonly reconciler: Reconciler;
  private readonly podWatch: PodWatch;
  private readonly unsubscribers: Array<() => void> = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private pumping = false;
  private pumpAgain = false;
  private lastResync = 0;

  constructor(deps: KubernetesDispatcherDeps) {
    this.ctx = new DispatchContext(deps);
    this.metrics = this.ctx.metrics;
    this.spawner = new Spawner(this.ctx);
    this.pods = new PodHandler(this.ctx);
    this.reconciler = new Reconciler(this.ctx, this.spawner, this.pods);
    this.podWatch = new PodWatch(
      this.ctx.kube,
      deps.config.namespace,
      RUNNER_SELECTOR,
      this.ctx.log,
      (type, pod) => this.pods.onPod(type, pod, ORIGIN.podWatch),
    );
  }

  start(): void {
    this.ctx.track(
      (async () => {
        // Adoption needs the API; keep trying (an API server restarting with the controller is normal).
        for (let delay = 1_000; !(await this.tryAdopt()); delay = Math.min(delay * 2, 30_000)) {
          if (this.ctx.stopped) return;
          await new Promise((r) => setTimeout(r, delay));
        }
        if (this.ctx.stopped) return;
        this.podWatch.start();
        this.unsubscribers.push(this.ctx.deps.queue.on('nodeReady', () => this.pump()));
        this.unsubscribers.push(
          this.ctx.deps.queue.on('runCancelled', (e) => this.ctx.track(this.reconciler.cancelRun(e.runId))),
        );
        const fast = Math.min(1_000, this.ctx.deps.config.resyncIntervalMs);
        this.timers.push(setInterval(() => this.tick(), fast));
        this.pump();
      })(),
    );
  }

  private async tryAdopt(): Promise<boolean> {
    try {
      // Pool state first: re-created Jobs find the PVCs they held, and the relist can judge holders.
      await this.ctx.pool?.adopt();
      await this.reconciler.adopt();
      return true;
    } catch (error) {
      this.ctx.log.error('kubernetes dispatcher cannot list its Jobs; retrying', {
        error: apiMessage(error),
      });
      return false;
    }
  }

  async stop(): Promise<void> {
    this.ctx.stopped = true;
    for (const u of this.unsubscribers.splice(0)) u();
    for (const t of this.timers.splice(0)) clearInterval(t);
    await this.podWatch.stop();
    await this.ctx.settle();
  }

  private activeJobs(): number {
    let n = 0;
    for (const t of this.ctx.tracked.values()) if (!t.finished) n += 1;
    return n;
  }

  /** Creates Jobs for ready nodes it serves, up to the concurrency cap; one pass at a time. */
  pump(): void {
    if (this.ctx.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.ctx.track(
      (async () => {
        try {
          do {
            this.pumpAgain = false;
            const room = this.ctx.deps.config.maxConcurrentJobs - this.activeJobs() - this.ctx.spawning.size;
            if (room <= 0) break;
            const ready = this.ctx.deps.queue
              .listReadyNodes({ limit: 500 })
              .filter((n) => labelsSatisfy(n.requires, this.ctx.deps.config.servedLabels))
              .filter((n) => !this.ctx.spawning.has(jobName(n.runId, n.nodeId, n.attempt)))
              .slice(0, room);
            // Claims are synchronous, so parallel creates never dispatch a node twice.
            const pending = [...ready];
            const worker = async () => {
              for (let node = pending.shift(); node && !this.ctx.stopped; node = pending.shift()) {
                await this.spawn(node);
              }
            };
            await Promise.all(Array.from({ length: Math.min(SPAWN_CONCURRENCY, pending.length) }, worker));
          } while (this.pumpAgain && !this.ctx.stopped);
        } finally {
          this.pumping = false;
        }
      })(),
    );
  }

  private async spawn(node: {
    runId: string;
    nodeId: string;
    attempt: number;
    requires: string[];
    resources: { cpu?: string; memory?: string };
    timeoutS: number | null;
  }): Promise<void> {
    const started = this.ctx.now();
    const name = jobName(node.runId, node.nodeId, node.attempt);
    this.ctx.spawning.add(name);
    try {
      // The warm PVC is checked out before the claim: waiting for one must not eat into the node's lease.
      const docker = await this.ctx.dockerParts(name, node.requires);
      const claim = this.ctx.stopped ? null : this.ctx.deps.queue.claimNode(node.runId, node.nodeId, name);
      if (!claim) {
        await this.ctx.pool?.release(name, ORIGIN.dispatch);
        return;
      }
      await this.spawner.createRunnerJob(claim, name, node, started, ORIGIN.dispatch, docker);
    } finally {
      this.ctx.pool?.touch(name);
      this.ctx.spawning.delete(name);
    }
  }

  private tick(): void {
    if (this.ctx.stopped) return;
    this.spawner.renewPendingLeases();
    this.pods.checkSpawnGraces();
    if (this.ctx.now() - this.lastResync >= this.ctx.deps.config.resyncIntervalMs) {
      this.lastResync = this.ctx.now();
      this.ctx.track(this.reconciler.resync());
    }
    this.pump();
  }
}
