import type { V1Job } from '@kubernetes/client-node';
import { signNodeToken } from '@sparkwing/contracts';
import { classifyPod, jobFinished, jobState } from './classify.js';
import type { DispatchContext } from './context.js';
import { jobName, LABELS, labelValue, RUNNER_CONTAINER, RUNNER_SELECTOR, targetOf } from './job-spec.js';
import {
  HEALTH_RESULTS,
  type JobState,
  LIFECYCLE_ORIGINS as ORIGIN,
  LIFECYCLE_OPERATIONS as OP,
  LIFECYCLE_OUTCOMES as OUTCOME,
  SPAWN_FAILURE_STAGES as STAGE,
  STRANDED_OUTCOMES,
} from './metrics.js';
import type { PodHandler } from './pod-handler.js';
import type { Spawner } from './spawner.js';

/** Adoption after a restart, relists, stranded Jobs, the Job gauge, and cancellation. */
export class Reconciler {
  constructor(
    private readonly ctx: DispatchContext,
    private readonly spawner: Spawner,
    private readonly pods: PodHandler,
  ) {}

  /** Cancelling a run deletes its Jobs with foreground propagation (pods go first). */
  async cancelRun(runId: string): Promise<void> {
    const jobs = await this.ctx.kube.batch.listNamespacedJob({
      namespace: this.ctx.deps.config.namespace,
      labelSelector: `${RUNNER_SELECTOR},${LABELS.runId}=${labelValue(runId)}`,
    });
    const now = this.ctx.now();
    for (const job of jobs.items) {
      const target = targetOf(job.metadata ?? {});
      if (!target || target.runId !== runId) continue;
      const name = job.metadata!.name!;
      const t = this.ctx.tracked.get(name);
      if (t && !t.deleting) {
        t.deleting = { since: now, reason: 'cancel' };
        // A runner that never started was a spawn cut short by the cancellation.
        if (!t.started && !t.finished) this.ctx.metrics.observeSpawnFailure(STAGE.contextCanceled, t.image);
      }
      this.ctx.log.info('deleting runner job of cancelled run', { job: name, run_id: runId });
      const ok = await this.ctx.deleteJob(name);
      if (!ok) this.ctx.transition(OP.drain, OUTCOME.apiError, ORIGIN.cancel, now);
    }
  }

  /** After a restart: track the Jobs whose attempt still holds its node; reconcile the rest. */
  async adopt(): Promise<void> {
    const started = this.ctx.now();
    const ns = this.ctx.deps.config.namespace;
    const jobs = (
      await this.ctx.kube.batch.listNamespacedJob({ namespace: ns, labelSelector: RUNNER_SELECTOR })
    ).items;
    const active = new Map(this.ctx.deps.queue.listActiveNodes().map((n) => [`${n.runId}\0${n.nodeId}`, n]));
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
      this.ctx.tracked.set(name, {
        jobName: name,
        ...target,
        image: job.spec?.template.spec?.containers[0]?.image ?? this.ctx.deps.config.image,
        createdAt: started,
        started: node.status === 'running',
        finished: false,
        leaseExpiresAt: node.leaseExpiresAt ?? 0,
        countedStages: new Set(),
      });
      this.ctx.transition(OP.reclaim, OUTCOME.success, ORIGIN.adopt, started);
      this.ctx.log.info('adopted runner job', { job: name, run_id: target.runId, node_id: target.nodeId });
    }
    // A crash between claiming a node and creating its Job leaves a claim with no Job: create it now.
    for (const node of active.values()) {
      const name = jobName(node.runId, node.nodeId, node.attempt);
      if (node.runnerId !== name || existing.has(name) || node.status !== 'claimed') continue;
      const expiresAt = this.ctx.deps.queue.renewLease(node.runId, node.nodeId, node.attempt);
      const detail = this.ctx.deps.queue.getNode(node.runId, node.nodeId);
      if (expiresAt === null || !detail) continue;
      const token = signNodeToken(this.ctx.deps.signingKey, {
        run_id: node.runId,
        node_id: node.nodeId,
        attempt: node.attempt,
        exp: expiresAt,
      });
      const docker = await this.ctx.dockerParts(name, detail.requires);
      await this.spawner.createRunnerJob(
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
        docker,
      );
    }
    await this.resync();
  }

  /** Relist: pod states missed by the watch, vanished pods, stranded Jobs, the Job gauge, health checks. */
  async resync(): Promise<void> {
    const ns = this.ctx.deps.config.namespace;
    const listedAt = this.ctx.now();
    const [jobs, pods] = await Promise.all([
      this.ctx.kube.batch.listNamespacedJob({ namespace: ns, labelSelector: RUNNER_SELECTOR }),
      this.ctx.kube.core.listNamespacedPod({ namespace: ns, labelSelector: RUNNER_SELECTOR }),
    ]);
    const counts: Record<JobState, number> = { pending: 0, running: 0, succeeded: 0, failed: 0 };
    const jobNames = new Set<string>();
    for (const job of jobs.items) {
      counts[jobState(job)] += 1;
      jobNames.add(job.metadata?.name ?? '');
    }
    this.ctx.metrics.setJobCounts(counts);
    const podJobs = new Set<string>();
    for (const pod of pods.items) {
      const name =
        pod.metadata?.labels?.['batch.kubernetes.io/job-name'] ?? pod.metadata?.labels?.['job-name'];
      if (name) podJobs.add(name);
      this.pods.onPod('MODIFIED', pod, ORIGIN.relist);
      const t = name ? this.ctx.tracked.get(name) : undefined;
      if (t && !t.finished) {
        const verdict = classifyPod(pod, RUNNER_CONTAINER);
        const healthy =
          verdict.kind === 'running' || (verdict.kind === 'waiting' && verdict.stage === 'create');
        this.ctx.metrics.observeHealthCheck(healthy ? HEALTH_RESULTS.pass : HEALTH_RESULTS.fail, t.image);
      }
    }
    for (const t of [...this.ctx.tracked.values()]) {
      if (!jobNames.has(t.jobName) && !podJobs.has(t.jobName)) this.pods.onPodGone(t, ORIGIN.relist);
    }
    await this.reconcileStranded(jobs.items);
    await this.ctx.pool?.reconcile(jobs.items, pods.items, listedAt, ORIGIN.relist, this.ctx.spawning);
  }

  async reconcileStranded(jobs: V1Job[]): Promise<void> {
    for (const job of jobs) {
      const name = job.metadata?.name;
      const target = targetOf(job.metadata ?? {});
      if (!name || !target || job.metadata?.deletionTimestamp) continue;
      const node = this.ctx.deps.queue.getNode(target.runId, target.nodeId);
      const holds =
        node && node.attempt === target.attempt && (node.status === 'claimed' || node.status === 'running');
      if (holds) continue;
      // A runner reports its result a moment before its pod exits: only Jobs that outlive that are stranded.
      const tracked = this.ctx.tracked.get(name);
      if (tracked && !tracked.finished) continue;
      const endedAt = node?.finished_at ? Date.parse(node.finished_at) : 0;
      if (this.ctx.now() - endedAt < 2 * this.ctx.deps.config.resyncIntervalMs) continue;
      if (jobFinished(job)) {
        if (!this.ctx.keptJobs.has(name)) {
          this.ctx.keptJobs.add(name);
          this.ctx.metrics.strandedJobs.inc({ outcome: STRANDED_OUTCOMES.kept });
        }
        continue;
      }
      if (tracked?.deleting) continue;
      if (tracked) tracked.deleting = { since: this.ctx.now(), reason: 'stranded' };
      const ok = await this.ctx.deleteJob(name);
      this.ctx.metrics.strandedJobs.inc({
        outcome: ok ? STRANDED_OUTCOMES.deleted : STRANDED_OUTCOMES.deleteFailed,
      });
      this.ctx.transition(OP.retire, ok ? OUTCOME.success : OUTCOME.apiError, ORIGIN.strandedReconcile);
    }
  }
}
