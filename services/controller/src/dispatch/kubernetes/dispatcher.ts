import type { KubeConfig, V1Job, V1Pod } from '@kubernetes/client-node';
import { type ClaimResponse, labelsSatisfy, signNodeToken } from '@sparkwing/contracts';
import type { Logger } from '@sparkwing/telemetry';
import type { Registry } from 'prom-client';
import type { QueueService } from '../../queue/service.js';
import type { Dispatcher } from '../types.js';
import { classifyPod, jobDeadlineExceeded, jobFinished, jobState } from './classify.js';
import type { KubernetesDispatchConfig } from './config.js';
import { DeathLogCapture } from './death-log.js';
import {
  buildJob,
  buildSecret,
  jobName,
  LABELS,
  labelValue,
  RUNNER_CONTAINER,
  RUNNER_SELECTOR,
  TOKEN_KEY,
  targetOf,
} from './job-spec.js';
import { apiMessage, apiStatus, type KubeClients, kubeClients } from './kube.js';
import {
  HEALTH_RESULTS,
  type JobState,
  LIFECYCLE_ORIGINS as ORIGIN,
  LIFECYCLE_OPERATIONS as OP,
  LIFECYCLE_OUTCOMES as OUTCOME,
  type LifecycleOrigin,
  RunnerLifecycleMetrics,
  SPAWN_FAILURE_STAGES as STAGE,
  STRANDED_OUTCOMES,
} from './metrics.js';
import { PodWatch } from './pod-watch.js';
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

/**
 * Turns ready nodes into batch/v1 Jobs running `sparkwing-runner worker`, watches their pods and
 * classifies how they end (OOM, eviction, exit codes, image pull back-off), captures death logs, and
 * re-adopts its Jobs after a restart.
 */
export class KubernetesDispatcher implements Dispatcher {
  readonly metrics: RunnerLifecycleMetrics;
  private readonly kube: KubeClients;
  private readonly tracked = new Map<string, TrackedJob>();
  private readonly deathLogs: DeathLogCapture;
  private readonly podWatch: PodWatch;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly unsubscribers: Array<() => void> = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly keptJobs = new Set<string>();
  private stopped = false;
  private pumping = false;
  private pumpAgain = false;
  private lastResync = 0;

  constructor(private readonly deps: KubernetesDispatcherDeps) {
    this.kube = kubeClients(deps.config, deps.kubeConfig);
    this.metrics = new RunnerLifecycleMetrics(deps.registry);
    this.now = deps.now ?? Date.now;
    this.log = deps.logger.child({ component: 'kubernetes-dispatcher' });
    this.deathLogs = new DeathLogCapture(this.kube.core, this.metrics, this.log, (runId, nodeId, text) =>
      deps.queue.storeDeathLog(runId, nodeId, text),
    );
    this.podWatch = new PodWatch(this.kube, deps.config.namespace, RUNNER_SELECTOR, this.log, (type, pod) =>
      this.onPod(type, pod, ORIGIN.podWatch),
    );
  }

  start(): void {
    this.track(
      (async () => {
        await this.adopt();
        if (this.stopped) return;
        this.podWatch.start();
        this.unsubscribers.push(this.deps.queue.on('nodeReady', () => this.pump()));
        this.unsubscribers.push(
          this.deps.queue.on('runCancelled', (e) => this.track(this.cancelRun(e.runId))),
        );
        const fast = Math.min(1_000, this.deps.config.resyncIntervalMs);
        this.timers.push(setInterval(() => this.tick(), fast));
        this.pump();
      })().catch((error) =>
        this.log.error('kubernetes dispatcher failed to start', { error: apiMessage(error) }),
      ),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribers.splice(0)) u();
    for (const t of this.timers.splice(0)) clearInterval(t);
    await this.podWatch.stop();
    await Promise.allSettled([...this.inflight]);
  }

  private track<T>(promise: Promise<T>): void {
    const p = promise.catch((error) =>
      this.log.error('kubernetes dispatcher task failed', { error: apiMessage(error) }),
    );
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private transition(
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

  private activeJobs(): number {
    let n = 0;
    for (const t of this.tracked.values()) if (!t.finished) n += 1;
    return n;
  }

  /** Creates Jobs for ready nodes it serves, up to the concurrency cap; one pass at a time. */
  pump(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.track(
      (async () => {
        try {
          do {
            this.pumpAgain = false;
            const room = this.deps.config.maxConcurrentJobs - this.activeJobs();
            if (room <= 0) break;
            const ready = this.deps.queue
              .listReadyNodes({ limit: 500 })
              .filter((n) => labelsSatisfy(n.requires, this.deps.config.servedLabels))
              .slice(0, room);
            for (const node of ready) {
              if (this.stopped) break;
              await this.spawn(node);
            }
          } while (this.pumpAgain && !this.stopped);
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
    resources: { cpu?: string; memory?: string };
    timeoutS: number | null;
  }): Promise<void> {
    const started = this.now();
    const name = jobName(node.runId, node.nodeId, node.attempt);
    const claim = this.deps.queue.claimNode(node.runId, node.nodeId, name);
    if (!claim) return;
    await this.createRunnerJob(claim, name, node, started, ORIGIN.dispatch);
  }

  private async createRunnerJob(
    claim: Pick<ClaimResponse, 'lease'>,
    name: string,
    node: {
      runId: string;
      nodeId: string;
      attempt: number;
      resources: { cpu?: string; memory?: string };
      timeoutS: number | null;
    },
    started: number,
    origin: LifecycleOrigin,
  ): Promise<void> {
    const { config } = this.deps;
    const target = { ...node, timeoutS: node.timeoutS };
    const ns = config.namespace;
    const fail = (stage: (typeof STAGE)[keyof typeof STAGE], error: unknown) => {
      this.metrics.observeSpawnFailure(stage, config.image);
      this.transition(OP.spawn, OUTCOME.apiError, origin, started);
      this.deps.queue.failNode(node.runId, node.nodeId, node.attempt, {
        error: `could not create the runner ${stage === STAGE.secretCreate ? 'Secret' : 'Job'} ${name}: ${apiMessage(error)}`,
      });
      this.log.warn('runner spawn failed', {
        job: name,
        stage,
        run_id: node.runId,
        node_id: node.nodeId,
        error: apiMessage(error),
      });
    };
    if (this.stopped) {
      this.metrics.observeSpawnFailure(STAGE.contextCanceled, config.image);
      this.deps.queue.failNode(node.runId, node.nodeId, node.attempt, {
        error: 'the controller shut down while creating the runner Job',
      });
      return;
    }
    try {
      await this.kube.core.createNamespacedSecret({
        namespace: ns,
        body: buildSecret(name, target, claim.lease.token),
      });
    } catch (error) {
      if (apiStatus(error) !== 409) return fail(STAGE.secretCreate, error);
      await this.writeToken(name, claim.lease.token).catch(() => undefined);
    }
    let outcome: (typeof OUTCOME)[keyof typeof OUTCOME] = OUTCOME.success;
    let job: V1Job;
    try {
      job = await this.kube.batch.createNamespacedJob({
        namespace: ns,
        body: buildJob(name, target, config),
      });
    } catch (error) {
      if (apiStatus(error) !== 409) {
        await this.kube.core.deleteNamespacedSecret({ name, namespace: ns }).catch(() => undefined);
        return fail(STAGE.jobCreate, error);
      }
      outcome = OUTCOME.alreadyExists;
      job = await this.kube.batch.readNamespacedJob({ name, namespace: ns });
    }
    await this.kube.core
      .patchNamespacedSecret({
        name,
        namespace: ns,
        body: [
          {
            op: 'add',
            path: '/metadata/ownerReferences',
            value: [
              {
                apiVersion: 'batch/v1',
                kind: 'Job',
                name,
                uid: job.metadata?.uid,
                controller: false,
                blockOwnerDeletion: false,
              },
            ],
          },
        ],
      })
      .catch((error) =>
        this.log.warn('could not attach the runner Secret to its Job', {
          job: name,
          error: apiMessage(error),
        }),
      );
    this.tracked.set(name, {
      jobName: name,
      runId: node.runId,
      nodeId: node.nodeId,
      attempt: node.attempt,
      image: config.image,
      createdAt: started,
      started: false,
      finished: false,
      leaseExpiresAt: Date.parse(claim.lease.expires_at),
      countedStages: new Set(),
    });
    this.transition(OP.spawn, outcome, origin, started);
    this.log.info('runner job created', {
      job: name,
      run_id: node.runId,
      node_id: node.nodeId,
      attempt: node.attempt,
    });
  }

  private async writeToken(name: string, token: string): Promise<void> {
    await this.kube.core.patchNamespacedSecret({
      name,
      namespace: this.deps.config.namespace,
      body: [{ op: 'replace', path: '/data', value: { [TOKEN_KEY]: Buffer.from(token).toString('base64') } }],
    });
  }

  private tick(): void {
    if (this.stopped) return;
    this.renewPendingLeases();
    this.checkImagePullGrace();
    if (this.now() - this.lastResync >= this.deps.config.resyncIntervalMs) {
      this.lastResync = this.now();
      this.track(this.resync());
    }
    this.pump();
  }

  /** Until the worker starts (and heartbeats itself) the dispatcher keeps the claim alive and the Secret's token fresh. */
  private renewPendingLeases(): void {
    const now = this.now();
    for (const t of this.tracked.values()) {
      if (t.finished || t.started || t.deleting) continue;
      const remaining = t.leaseExpiresAt - now;
      const node = this.deps.queue.getNode(t.runId, t.nodeId);
      if (!node || node.attempt !== t.attempt || node.status !== 'claimed') continue;
      if (remaining > this.leaseHalfLife(t)) continue;
      const expiresAt = this.deps.queue.renewLease(t.runId, t.nodeId, t.attempt);
      if (expiresAt === null) continue;
      t.leaseExpiresAt = expiresAt;
      const token = signNodeToken(this.deps.signingKey, {
        run_id: t.runId,
        node_id: t.nodeId,
        attempt: t.attempt,
        exp: expiresAt,
      });
      this.track(this.writeToken(t.jobName, token));
    }
  }

  private leaseHalfLife(t: TrackedJob): number {
    return Math.max(1_000, (t.leaseExpiresAt - t.createdAt) / 2);
  }

  private checkImagePullGrace(): void {
    const now = this.now();
    for (const t of this.tracked.values()) {
      if (t.finished || t.deleting || t.pullSince === undefined) continue;
      if (now - t.pullSince < this.deps.config.imagePullGraceMs) continue;
      t.finished = true;
      t.deleting = { since: now, reason: 'image_pull' };
      this.metrics.observeSpawnFailure(STAGE.imagePull, t.image);
      this.transition(OP.finish, OUTCOME.imagePull, ORIGIN.imagePullGrace, t.createdAt, t.image);
      this.deps.queue.failNode(t.runId, t.nodeId, t.attempt, {
        error: `the runner image "${t.image}" could not be pulled for ${Math.round((now - t.pullSince) / 1000)}s: ${t.pullMessage ?? 'ImagePullBackOff'}`,
      });
      this.log.warn('runner image pull failed past the grace period', {
        job: t.jobName,
        image: t.image,
        run_id: t.runId,
        node_id: t.nodeId,
      });
      this.track(this.deleteJob(t.jobName));
    }
  }

  private async deleteJob(name: string): Promise<boolean> {
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

  /** Handles one pod state (watch event or relist); idempotent per state. */
  private onPod(type: string, pod: V1Pod, origin: LifecycleOrigin): void {
    const meta = pod.metadata ?? {};
    const name = meta.labels?.['batch.kubernetes.io/job-name'] ?? meta.labels?.['job-name'];
    if (!name) return;
    const t = this.tracked.get(name);
    if (!t) return;
    t.podName = meta.name;
    if (type === 'DELETED') {
      this.onPodGone(t, origin);
      return;
    }
    if (t.finished || t.deleting) return;
    const verdict = classifyPod(pod, RUNNER_CONTAINER);
    const podName = meta.name ?? name;
    const endedAt = () =>
      String(
        pod.status?.containerStatuses?.[0]?.state?.terminated?.finishedAt ??
          new Date(this.now()).toISOString(),
      );
    switch (verdict.kind) {
      case 'waiting': {
        this.setDetail(t, verdict.detail);
        if (verdict.stage === 'pull') {
          t.pullSince ??= this.now();
          t.pullMessage = verdict.detail;
        } else t.pullSince = undefined;
        const stage =
          verdict.stage === 'schedule' && verdict.reason === 'Unschedulable'
            ? STAGE.podSchedule
            : verdict.stage === 'config'
              ? STAGE.containerCreate
              : null;
        if (stage && !t.countedStages.has(stage)) {
          t.countedStages.add(stage);
          this.metrics.observeSpawnFailure(stage, t.image);
        }
        return;
      }
      case 'running':
        t.pullSince = undefined;
        if (!t.started) {
          t.started = true;
          this.setDetail(t, null);
          this.transition(OP.start, OUTCOME.success, origin, t.createdAt, t.image);
        }
        return;
      case 'succeeded': {
        t.finished = true;
        const lost = this.failIfActive(t, {
          failure_reason: 'agent_lost',
          error: `runner pod ${podName} exited 0 without reporting a result`,
        });
        this.transition(OP.finish, lost ? OUTCOME.failed : OUTCOME.success, origin, t.createdAt, t.image);
        return;
      }
      case 'oom_killed': {
        t.finished = true;
        this.deps.queue.failNode(t.runId, t.nodeId, t.attempt, {
          failure_reason: 'oom_killed',
          exit_code: verdict.exitCode,
          error: `Container "${RUNNER_CONTAINER}" of pod ${podName} was killed by the kernel OOM killer (exit ${verdict.exitCode})`,
        });
        this.transition(OP.finish, OUTCOME.oomKilled, origin, t.createdAt, t.image);
        this.captureDeathLog(t, podName, endedAt(), 'OOMKilled');
        return;
      }
      case 'evicted': {
        t.finished = true;
        this.deps.queue.failNode(t.runId, t.nodeId, t.attempt, {
          failure_reason: 'agent_lost',
          error: `runner pod ${podName} was evicted: ${verdict.message}`,
        });
        this.transition(OP.markLost, OUTCOME.evicted, origin, t.createdAt, t.image);
        this.captureDeathLog(t, podName, endedAt(), 'Evicted');
        return;
      }
      case 'exited': {
        t.finished = true;
        if (meta.deletionTimestamp) {
          // Someone else deleted the pod (kubectl delete, node drain): the runner is lost, not failing.
          const lost = this.failIfActive(t, {
            failure_reason: 'agent_lost',
            exit_code: verdict.exitCode,
            error: `runner pod ${podName} was deleted before reporting a result (exit ${verdict.exitCode})`,
          });
          this.transition(OP.markLost, OUTCOME.vanished, origin, t.createdAt, t.image);
          if (lost) this.captureDeathLog(t, podName, endedAt(), 'Deleted');
          return;
        }
        if (verdict.reason === 'StartError' && !t.countedStages.has(STAGE.containerCreate)) {
          this.metrics.observeSpawnFailure(STAGE.containerCreate, t.image);
        }
        const unreported = this.failIfActive(t, {
          exit_code: verdict.exitCode,
          error: `runner pod ${podName} exited with code ${verdict.exitCode} (${verdict.reason}) without reporting a result`,
        });
        this.transition(OP.finish, OUTCOME.failed, origin, t.createdAt, t.image);
        if (unreported || verdict.exitCode >= 128)
          this.captureDeathLog(t, podName, endedAt(), verdict.reason);
        return;
      }
    }
  }

  /** Fails the node only if this Job's attempt still holds it (the runner's own report wins). */
  private failIfActive(t: TrackedJob, failure: Parameters<DispatchQueue['failNode']>[3]): boolean {
    return this.deps.queue.failNode(t.runId, t.nodeId, t.attempt, failure);
  }

  private setDetail(t: TrackedJob, detail: string | null): void {
    if (t.lastDetail === detail) return;
    t.lastDetail = detail;
    this.deps.queue.setStatusDetail(t.runId, t.nodeId, detail?.slice(0, 1_000) ?? null);
  }

  private captureDeathLog(t: TrackedJob, pod: string, endedAt: string, reason: string): void {
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

  private onPodGone(t: TrackedJob, origin: LifecycleOrigin): void {
    if (t.deleting) {
      if (t.deleting.reason === 'cancel' || t.deleting.reason === 'stranded') {
        this.metrics.observeDrain((this.now() - t.deleting.since) / 1000);
        this.failIfActive(t, { error: 'the run was cancelled; its runner Job was deleted' });
        this.transition(OP.drain, OUTCOME.success, ORIGIN.cancel, t.deleting.since, t.image);
      }
      this.tracked.delete(t.jobName);
      return;
    }
    if (t.finished) {
      this.transition(OP.retire, OUTCOME.success, ORIGIN.ttl, t.createdAt, t.image);
      this.tracked.delete(t.jobName);
      return;
    }
    t.finished = true;
    this.track(
      (async () => {
        let job: V1Job | null = null;
        try {
          job = await this.kube.batch.readNamespacedJob({
            name: t.jobName,
            namespace: this.deps.config.namespace,
          });
        } catch {
          job = null;
        }
        if (job && jobDeadlineExceeded(job)) {
          this.failIfActive(t, {
            failure_reason: 'timeout',
            error: `runner Job ${t.jobName} exceeded its activeDeadlineSeconds`,
          });
          this.transition(OP.finish, OUTCOME.timeout, origin, t.createdAt, t.image);
        } else {
          this.failIfActive(t, {
            failure_reason: 'agent_lost',
            error: `runner pod ${t.podName ?? t.jobName} vanished before reporting a result`,
          });
          this.transition(OP.markLost, OUTCOME.vanished, origin, t.createdAt, t.image);
        }
        if (!job || jobFinished(job)) this.tracked.delete(t.jobName);
      })(),
    );
  }

  /** Cancelling a run deletes its Jobs with foreground propagation (pods go first). */
  private async cancelRun(runId: string): Promise<void> {
    const jobs = await this.kube.batch.listNamespacedJob({
      namespace: this.deps.config.namespace,
      labelSelector: `${RUNNER_SELECTOR},${LABELS.runId}=${labelValue(runId)}`,
    });
    const now = this.now();
    for (const job of jobs.items) {
      const target = targetOf(job.metadata ?? {});
      if (!target || target.runId !== runId) continue;
      const name = job.metadata!.name!;
      const t = this.tracked.get(name);
      if (t) t.deleting ??= { since: now, reason: 'cancel' };
      this.log.info('deleting runner job of cancelled run', { job: name, run_id: runId });
      const ok = await this.deleteJob(name);
      if (!ok) this.transition(OP.drain, OUTCOME.apiError, ORIGIN.cancel, now);
    }
  }

  /** After a restart: track the Jobs whose attempt still holds its node; reconcile the rest. */
  private async adopt(): Promise<void> {
    const started = this.now();
    const ns = this.deps.config.namespace;
    const jobs = (await this.kube.batch.listNamespacedJob({ namespace: ns, labelSelector: RUNNER_SELECTOR }))
      .items;
    const active = new Map(this.deps.queue.listActiveNodes().map((n) => [`${n.runId}\0${n.nodeId}`, n]));
    const existing = new Set<string>();
    for (const job of jobs) {
      const name = job.metadata?.name;
      const target = targetOf(job.metadata ?? {});
      if (!name || !target) continue;
      existing.add(name);
      const node = active.get(`${target.runId}\0${target.nodeId}`);
      if (
        !node ||
        node.attempt !== target.attempt ||
        jobName(target.runId, target.nodeId, target.attempt) !== name
      )
        continue;
      this.tracked.set(name, {
        jobName: name,
        ...target,
        image: job.spec?.template.spec?.containers[0]?.image ?? this.deps.config.image,
        createdAt: started,
        started: node.status === 'running',
        finished: false,
        leaseExpiresAt: node.leaseExpiresAt ?? 0,
        countedStages: new Set(),
      });
      this.transition(OP.reclaim, OUTCOME.success, ORIGIN.adopt, started);
      this.log.info('adopted runner job', { job: name, run_id: target.runId, node_id: target.nodeId });
    }
    // A crash between claiming a node and creating its Job leaves a claim with no Job: create it now.
    for (const node of active.values()) {
      const name = jobName(node.runId, node.nodeId, node.attempt);
      if (node.runnerId !== name || existing.has(name) || node.status !== 'claimed') continue;
      const expiresAt = this.deps.queue.renewLease(node.runId, node.nodeId, node.attempt);
      const detail = this.deps.queue.getNode(node.runId, node.nodeId);
      if (expiresAt === null || !detail) continue;
      const token = signNodeToken(this.deps.signingKey, {
        run_id: node.runId,
        node_id: node.nodeId,
        attempt: node.attempt,
        exp: expiresAt,
      });
      await this.createRunnerJob(
        { lease: { token, expires_at: new Date(expiresAt).toISOString() } },
        name,
        {
          runId: node.runId,
          nodeId: node.nodeId,
          attempt: node.attempt,
          resources: detail.resources,
          timeoutS: detail.timeout_s,
        },
        started,
        ORIGIN.adopt,
      );
    }
    await this.resync();
  }

  /** Relist: pod states missed by the watch, vanished pods, stranded Jobs, the Job gauge, health checks. */
  private async resync(): Promise<void> {
    const ns = this.deps.config.namespace;
    const [jobs, pods] = await Promise.all([
      this.kube.batch.listNamespacedJob({ namespace: ns, labelSelector: RUNNER_SELECTOR }),
      this.kube.core.listNamespacedPod({ namespace: ns, labelSelector: RUNNER_SELECTOR }),
    ]);
    const counts: Record<JobState, number> = { pending: 0, running: 0, succeeded: 0, failed: 0 };
    const jobNames = new Set<string>();
    for (const job of jobs.items) {
      counts[jobState(job)] += 1;
      jobNames.add(job.metadata?.name ?? '');
    }
    this.metrics.setJobCounts(counts);
    const podJobs = new Set<string>();
    for (const pod of pods.items) {
      const name =
        pod.metadata?.labels?.['batch.kubernetes.io/job-name'] ?? pod.metadata?.labels?.['job-name'];
      if (name) podJobs.add(name);
      this.onPod('MODIFIED', pod, ORIGIN.relist);
      const t = name ? this.tracked.get(name) : undefined;
      if (t && !t.finished) {
        const verdict = classifyPod(pod, RUNNER_CONTAINER);
        const healthy =
          verdict.kind === 'running' || (verdict.kind === 'waiting' && verdict.stage === 'create');
        this.metrics.observeHealthCheck(healthy ? HEALTH_RESULTS.pass : HEALTH_RESULTS.fail, t.image);
      }
    }
    for (const t of [...this.tracked.values()]) {
      if (!jobNames.has(t.jobName) && !podJobs.has(t.jobName)) this.onPodGone(t, ORIGIN.relist);
    }
    await this.reconcileStranded(jobs.items);
  }

  private async reconcileStranded(jobs: V1Job[]): Promise<void> {
    for (const job of jobs) {
      const name = job.metadata?.name;
      const target = targetOf(job.metadata ?? {});
      if (!name || !target || job.metadata?.deletionTimestamp) continue;
      const node = this.deps.queue.getNode(target.runId, target.nodeId);
      const holds =
        node && node.attempt === target.attempt && (node.status === 'claimed' || node.status === 'running');
      if (holds) continue;
      // A runner reports its result a moment before its pod exits: only Jobs that outlive that are stranded.
      const tracked = this.tracked.get(name);
      if (tracked && !tracked.finished) continue;
      const endedAt = node?.finished_at ? Date.parse(node.finished_at) : 0;
      if (this.now() - endedAt < 2 * this.deps.config.resyncIntervalMs) continue;
      if (jobFinished(job)) {
        if (!this.keptJobs.has(name)) {
          this.keptJobs.add(name);
          this.metrics.strandedJobs.inc({ outcome: STRANDED_OUTCOMES.kept });
        }
        continue;
      }
      if (tracked?.deleting) continue;
      if (tracked) tracked.deleting = { since: this.now(), reason: 'stranded' };
      const ok = await this.deleteJob(name);
      this.metrics.strandedJobs.inc({
        outcome: ok ? STRANDED_OUTCOMES.deleted : STRANDED_OUTCOMES.deleteFailed,
      });
      this.transition(OP.retire, ok ? OUTCOME.success : OUTCOME.apiError, ORIGIN.strandedReconcile);
    }
  }
}
