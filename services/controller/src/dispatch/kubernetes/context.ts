import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@sparkwing/telemetry';
import type { Registry } from 'prom-client';
import type { QueueService } from '../../queue/service.js';
import type { KubernetesDispatchConfig } from './config.js';
import { DeathLogCapture } from './death-log.js';
import { poolFor, wantsDocker } from './docker-config.js';
import { type DockerPodParts, dockerPodParts } from './docker-spec.js';
import { RUNNER_CONTAINER, TOKEN_KEY } from './job-spec.js';
import { apiMessage, apiStatus, type KubeClients, kubeClients } from './kube.js';
import {
  type LIFECYCLE_OPERATIONS as OP,
  type LIFECYCLE_OUTCOMES as OUTCOME,
  type LifecycleOrigin,
  RunnerLifecycleMetrics,
} from './metrics.js';
import { PvcPool } from './pvc-pool.js';
import { PvcPoolMetrics } from './pvc-pool-metrics.js';
import type { TrackedJob } from './tracked.js';

/** The slice of the queue the dispatcher uses (all synchronous SQLite transactions). */
export type DispatchQueue = Pick<
  QueueService,
  | 'listReadyNodes'
  | 'claimNode'
  | 'listActiveNodes'
  | 'failNode'
  | 'setStatusDetail'
  | 'storeDeathLog'
  | 'renewLease'
  | 'getNode'
  | 'on'
>;

export interface KubernetesDispatcherDeps {
  queue: DispatchQueue;
  /** The controller's registry; the lifecycle families are registered on it. */
  registry: Registry;
  logger: Logger;
  /** Signs fresh node tokens when a pending pod's lease is renewed. */
  signingKey: string;
  config: KubernetesDispatchConfig;
  /** Overrides KUBECONFIG / in-cluster discovery (tests). */
  kubeConfig?: KubeConfig;
  now?: () => number;
}

const FOREGROUND = { propagationPolicy: 'Foreground' } as const;

/** State and helpers shared by the dispatcher's parts (spawner, pod handler, reconciler). */
export class DispatchContext {
  readonly kube: KubeClients;
  readonly metrics: RunnerLifecycleMetrics;
  readonly log: Logger;
  readonly tracked = new Map<string, TrackedJob>();
  /** Finished stranded Jobs already counted as `kept`. */
  readonly keptJobs = new Set<string>();
  readonly now: () => number;
  /** Warm Docker-cache PVC pools (null when none is configured). */
  readonly pool: PvcPool | null;
  /** Job names between a checkout and their Job's creation (a second pump pass must not spawn them). */
  readonly spawning = new Set<string>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly deathLogs: DeathLogCapture;
  stopped = false;

  constructor(readonly deps: KubernetesDispatcherDeps) {
    this.kube = kubeClients(deps.config, deps.kubeConfig);
    this.metrics = new RunnerLifecycleMetrics(deps.registry);
    this.now = deps.now ?? Date.now;
    this.log = deps.logger.child({ component: 'kubernetes-dispatcher' });
    const pools = deps.config.docker.pools;
    this.pool =
      pools.length === 0
        ? null
        : new PvcPool({
            core: this.kube.core,
            namespace: deps.config.namespace,
            pools,
            metrics: new PvcPoolMetrics(
              deps.registry,
              pools.map((p) => p.name),
            ),
            log: this.log,
            now: this.now,
            transition: (operation, outcome, origin) =>
              this.transition(operation, outcome, origin, undefined, deps.config.docker.dindImage),
            stopped: () => this.stopped,
          });
    this.deathLogs = new DeathLogCapture(this.kube.core, this.metrics, this.log, (runId, nodeId, text) =>
      deps.queue.storeDeathLog(runId, nodeId, text),
    );
  }

  /** Waits for every background task started with `track`. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }

  track<T>(promise: Promise<T>): void {
    const p = promise.catch((error) =>
      this.log.error('kubernetes dispatcher task failed', { error: apiMessage(error) }),
    );
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  transition(
    operation: (typeof OP)[keyof typeof OP],
    outcome: (typeof OUTCOME)[keyof typeof OUTCOME],
    origin: LifecycleOrigin,
    sinceMs?: number,
    image = this.deps.config.image,
  ): void {
    this.metrics.observeTransition({
      operation,
      outcome,
      image,
      origin,
      ...(sinceMs !== undefined ? { durationS: (this.now() - sinceMs) / 1000 } : {}),
    });
  }

  /** Docker wiring of a node's pod; checks a warm PVC out for `jobName` when the node asks for one. */
  async dockerParts(jobName: string, requires: readonly string[]): Promise<DockerPodParts> {
    const docker = this.deps.config.docker;
    const wants = wantsDocker(requires, docker);
    const pool = wants ? poolFor(requires, docker) : undefined;
    const claim = pool && this.pool ? await this.pool.checkout(pool.name, jobName) : null;
    return dockerPodParts(this.deps.config, wants, claim);
  }

  async deleteJob(name: string): Promise<boolean> {
    try {
      await this.kube.batch.deleteNamespacedJob({
        name,
        namespace: this.deps.config.namespace,
        body: FOREGROUND,
      });
      return true;
    } catch (error) {
      if (apiStatus(error) === 404) return true;
      this.log.warn('deleting runner job failed', { job: name, error: apiMessage(error) });
      return false;
    }
  }

  /** Fails the node only if this Job's attempt still holds it (the runner's own report wins). */
  failIfActive(t: TrackedJob, failure: Parameters<DispatchQueue['failNode']>[3]): boolean {
    return this.deps.queue.failNode(t.runId, t.nodeId, t.attempt, failure);
  }

  setDetail(t: TrackedJob, detail: string | null): void {
    if (t.lastDetail === detail) return;
    t.lastDetail = detail;
    this.deps.queue.setStatusDetail(t.runId, t.nodeId, detail?.slice(0, 1_000) ?? null);
  }

  captureDeathLog(t: TrackedJob, pod: string, endedAt: string, reason: string): void {
    this.track(
      this.deathLogs.capture({
        namespace: this.deps.config.namespace,
        pod,
        container: RUNNER_CONTAINER,
        runId: t.runId,
        nodeId: t.nodeId,
        endedAt,
        reason,
      }),
    );
  }

  async writeToken(name: string, token: string): Promise<void> {
    await this.kube.core.patchNamespacedSecret({
      name,
      namespace: this.deps.config.namespace,
      body: [{ op: 'replace', path: '/data', value: { [TOKEN_KEY]: Buffer.from(token).toString('base64') } }],
    });
  }
}
