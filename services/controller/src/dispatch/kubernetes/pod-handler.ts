import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { classifyPod, jobDeadlineExceeded, jobFinished } from './classify.js';
import type { DispatchContext } from './context.js';
import { RUNNER_CONTAINER } from './job-spec.js';
import {
  LIFECYCLE_ORIGINS as ORIGIN,
  LIFECYCLE_OPERATIONS as OP,
  LIFECYCLE_OUTCOMES as OUTCOME,
  type LifecycleOrigin,
  type LifecycleOutcome,
  SPAWN_FAILURE_STAGES as STAGE,
  type SpawnFailureStage,
} from './metrics.js';
import type { TrackedJob } from './tracked.js';

/** Turns runner pod states into node status details and verdicts (seed 000 "How detection works"). */
export class PodHandler {
  constructor(private readonly ctx: DispatchContext) {}

  /** Handles one pod state (watch event or relist); idempotent per state. */
  onPod(type: string, pod: V1Pod, origin: LifecycleOrigin): void {
    // Whatever the verdict, a pod that has ended no longer uses its warm PVC.
    this.ctx.pool?.onPod(pod, type === 'DELETED', origin);
    const meta = pod.metadata ?? {};
    const name = meta.labels?.['batch.kubernetes.io/job-name'] ?? meta.labels?.['job-name'];
    if (!name) return;
    const t = this.ctx.tracked.get(name);
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
          new Date(this.ctx.now()).toISOString(),
      );
    switch (verdict.kind) {
      case 'waiting': {
        this.ctx.setDetail(t, verdict.detail);
        if (verdict.stage === 'pull') {
          // A name that can never resolve fails at once; a transient pull error gets the grace period.
          t.pullSince ??= this.ctx.now();
          t.pullMessage = verdict.detail;
          if (verdict.permanent) t.pullSince = -Infinity;
        } else t.pullSince = undefined;
        if (verdict.reason === 'Unschedulable') {
          t.unschedulableSince ??= this.ctx.now();
          t.unschedulableMessage = verdict.detail;
        } else t.unschedulableSince = undefined;
        const stage =
          verdict.stage === 'schedule' && verdict.reason === 'Unschedulable'
            ? STAGE.podSchedule
            : verdict.stage === 'config'
              ? STAGE.containerCreate
              : null;
        if (stage && !t.countedStages.has(stage)) {
          t.countedStages.add(stage);
          this.ctx.metrics.observeSpawnFailure(stage, t.image);
        }
        return;
      }
      case 'running':
        t.pullSince = undefined;
        t.unschedulableSince = undefined;
        if (!t.started) {
          t.started = true;
          this.ctx.setDetail(t, null);
          this.ctx.transition(OP.start, OUTCOME.success, origin, t.createdAt, t.image);
        }
        return;
      case 'succeeded': {
        t.finished = true;
        const lost = this.ctx.failIfActive(t, {
          failure_reason: 'agent_lost',
          error: `runner pod ${podName} exited 0 without reporting a result`,
        });
        this.ctx.transition(OP.finish, lost ? OUTCOME.failed : OUTCOME.success, origin, t.createdAt, t.image);
        return;
      }
      case 'oom_killed': {
        t.finished = true;
        this.ctx.deps.queue.failNode(t.runId, t.nodeId, t.attempt, {
          failure_reason: 'oom_killed',
          exit_code: verdict.exitCode,
          error: `Container "${RUNNER_CONTAINER}" of pod ${podName} was killed by the kernel OOM killer (exit ${verdict.exitCode})`,
        });
        this.ctx.transition(OP.finish, OUTCOME.oomKilled, origin, t.createdAt, t.image);
        this.ctx.captureDeathLog(t, podName, endedAt(), 'OOMKilled');
        return;
      }
      case 'evicted': {
        t.finished = true;
        this.ctx.deps.queue.failNode(t.runId, t.nodeId, t.attempt, {
          failure_reason: 'agent_lost',
          error: `runner pod ${podName} was evicted: ${verdict.message}`,
        });
        this.ctx.transition(OP.markLost, OUTCOME.evicted, origin, t.createdAt, t.image);
        this.ctx.captureDeathLog(t, podName, endedAt(), 'Evicted');
        return;
      }
      case 'exited': {
        t.finished = true;
        if (meta.deletionTimestamp) {
          // Deleted under the runner: by the Job controller at the deadline (timeout) or by someone else
          // (kubectl delete, node drain: the runner is lost, not failing).
          this.lostOrTimedOut(t, origin, `runner pod ${podName} was deleted before reporting a result`, {
            exitCode: verdict.exitCode,
            pod: podName,
            endedAt: endedAt(),
          });
          return;
        }
        if (verdict.reason === 'StartError' && !t.countedStages.has(STAGE.containerCreate)) {
          this.ctx.metrics.observeSpawnFailure(STAGE.containerCreate, t.image);
        }
        const unreported = this.ctx.failIfActive(t, {
          exit_code: verdict.exitCode,
          error: `runner pod ${podName} exited with code ${verdict.exitCode} (${verdict.reason}) without reporting a result`,
        });
        this.ctx.transition(OP.finish, OUTCOME.failed, origin, t.createdAt, t.image);
        if (unreported || verdict.exitCode >= 128)
          this.ctx.captureDeathLog(t, podName, endedAt(), verdict.reason);
        return;
      }
    }
  }

  onPodGone(t: TrackedJob, origin: LifecycleOrigin): void {
    if (t.deleting) {
      if (t.deleting.reason === 'cancel' || t.deleting.reason === 'stranded') {
        this.ctx.metrics.observeDrain((this.ctx.now() - t.deleting.since) / 1000);
        this.ctx.failIfActive(t, { error: 'the run was cancelled; its runner Job was deleted' });
        this.ctx.transition(
          OP.drain,
          OUTCOME.success,
          t.deleting.reason === 'cancel' ? ORIGIN.cancel : ORIGIN.strandedReconcile,
          t.deleting.since,
          t.image,
        );
      }
      this.ctx.tracked.delete(t.jobName);
      return;
    }
    if (t.finished) {
      this.ctx.transition(OP.retire, OUTCOME.success, ORIGIN.ttl, t.createdAt, t.image);
      this.ctx.tracked.delete(t.jobName);
      return;
    }
    t.finished = true;
    this.lostOrTimedOut(t, origin, `runner pod ${t.podName ?? t.jobName} vanished before reporting a result`);
  }

  /** Fails nodes whose pod could not pull its image or be scheduled for longer than allowed. */
  checkSpawnGraces(): void {
    const now = this.ctx.now();
    const { imagePullGraceMs, unschedulableGraceMs } = this.ctx.deps.config;
    for (const t of this.ctx.tracked.values()) {
      if (t.finished || t.deleting) continue;
      if (t.pullSince !== undefined && now - t.pullSince >= imagePullGraceMs) {
        const waited = Number.isFinite(t.pullSince) ? ` for ${Math.round((now - t.pullSince) / 1000)}s` : '';
        this.abandon(t, {
          reason: 'image_pull',
          stage: STAGE.imagePull,
          outcome: OUTCOME.imagePull,
          origin: ORIGIN.imagePullGrace,
          error: `the runner image "${t.image}" could not be pulled${waited}: ${t.pullMessage ?? 'ImagePullBackOff'}`,
        });
      } else if (t.unschedulableSince !== undefined && now - t.unschedulableSince >= unschedulableGraceMs) {
        this.abandon(t, {
          reason: 'unschedulable',
          stage: null,
          outcome: OUTCOME.unschedulable,
          origin: ORIGIN.unschedulableGrace,
          error: `runner pod ${t.podName ?? t.jobName} could not be scheduled for ${Math.round((now - t.unschedulableSince) / 1000)}s: ${t.unschedulableMessage ?? 'Unschedulable'}`,
        });
      }
    }
  }

  /** Fails the node with a spawn-time reason and deletes its Job (the pod never ran). */
  private abandon(
    t: TrackedJob,
    how: {
      reason: 'image_pull' | 'unschedulable';
      stage: SpawnFailureStage | null;
      outcome: LifecycleOutcome;
      origin: LifecycleOrigin;
      error: string;
    },
  ): void {
    const now = this.ctx.now();
    t.finished = true;
    t.deleting = { since: now, reason: how.reason };
    if (how.stage) this.ctx.metrics.observeSpawnFailure(how.stage, t.image);
    this.ctx.transition(OP.finish, how.outcome, how.origin, t.createdAt, t.image);
    this.ctx.deps.queue.failNode(t.runId, t.nodeId, t.attempt, {
      failure_reason: how.reason,
      error: how.error,
    });
    this.ctx.log.warn('runner pod abandoned before it started', {
      job: t.jobName,
      image: t.image,
      reason: how.reason,
      run_id: t.runId,
      node_id: t.nodeId,
    });
    this.ctx.track(this.ctx.deleteJob(t.jobName));
  }

  /** `timeout` when the Job hit its activeDeadlineSeconds, `agent_lost` otherwise. */
  private lostOrTimedOut(
    t: TrackedJob,
    origin: LifecycleOrigin,
    lostError: string,
    died?: { exitCode: number; pod: string; endedAt: string },
  ): void {
    this.ctx.track(
      (async () => {
        let job: V1Job | null = null;
        try {
          job = await this.ctx.kube.batch.readNamespacedJob({
            name: t.jobName,
            namespace: this.ctx.deps.config.namespace,
          });
        } catch {
          job = null;
        }
        const exit = died ? { exit_code: died.exitCode } : {};
        let failed: boolean;
        if (job && jobDeadlineExceeded(job)) {
          failed = this.ctx.failIfActive(t, {
            failure_reason: 'timeout',
            ...exit,
            error: `runner Job ${t.jobName} exceeded its activeDeadlineSeconds`,
          });
          this.ctx.transition(OP.finish, OUTCOME.timeout, origin, t.createdAt, t.image);
        } else {
          failed = this.ctx.failIfActive(t, { failure_reason: 'agent_lost', ...exit, error: lostError });
          this.ctx.transition(OP.markLost, OUTCOME.vanished, origin, t.createdAt, t.image);
        }
        if (died && failed) this.ctx.captureDeathLog(t, died.pod, died.endedAt, 'Deleted');
        if (!died && (!job || jobFinished(job))) this.ctx.tracked.delete(t.jobName);
      })(),
    );
  }
}
