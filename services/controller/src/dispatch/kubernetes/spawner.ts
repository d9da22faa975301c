import type { V1Job } from '@kubernetes/client-node';
import { type ClaimResponse, signNodeToken } from '@sparkwing/contracts';
import type { DispatchContext } from './context.js';
import type { DockerPodParts } from './docker-spec.js';
import { buildJob, buildSecret } from './job-spec.js';
import { apiMessage, apiStatus } from './kube.js';
import {
  LIFECYCLE_OPERATIONS as OP,
  LIFECYCLE_OUTCOMES as OUTCOME,
  type LifecycleOrigin,
  SPAWN_FAILURE_STAGES as STAGE,
} from './metrics.js';
import type { TrackedJob } from './tracked.js';

/** Creates the Secret + Job of a claimed node and keeps a pending pod's lease and token fresh. */
export class Spawner {
  constructor(private readonly ctx: DispatchContext) {}

  async createRunnerJob(
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
    docker?: DockerPodParts,
  ): Promise<void> {
    const { config } = this.ctx.deps;
    const target = { ...node, timeoutS: node.timeoutS };
    const ns = config.namespace;
    const fail = (stage: (typeof STAGE)[keyof typeof STAGE], error: unknown) => {
      if (this.ctx.pool) this.ctx.track(this.ctx.pool.release(name, origin));
      this.ctx.metrics.observeSpawnFailure(stage, config.image);
      this.ctx.transition(OP.spawn, OUTCOME.apiError, origin, started);
      this.ctx.deps.queue.failNode(node.runId, node.nodeId, node.attempt, {
        error: `could not create the runner ${stage === STAGE.secretCreate ? 'Secret' : 'Job'} ${name}: ${apiMessage(error)}`,
      });
      this.ctx.log.warn('runner spawn failed', {
        job: name,
        stage,
        run_id: node.runId,
        node_id: node.nodeId,
        error: apiMessage(error),
      });
    };
    if (this.ctx.stopped) {
      if (this.ctx.pool) this.ctx.track(this.ctx.pool.release(name, origin));
      this.ctx.metrics.observeSpawnFailure(STAGE.contextCanceled, config.image);
      this.ctx.deps.queue.failNode(node.runId, node.nodeId, node.attempt, {
        error: 'the controller shut down while creating the runner Job',
      });
      return;
    }
    try {
      await this.ctx.kube.core.createNamespacedSecret({
        namespace: ns,
        body: buildSecret(name, target, claim.lease.token),
      });
    } catch (error) {
      if (apiStatus(error) !== 409) return fail(STAGE.secretCreate, error);
      await this.ctx.writeToken(name, claim.lease.token).catch(() => undefined);
    }
    let outcome: (typeof OUTCOME)[keyof typeof OUTCOME] = OUTCOME.success;
    let job: V1Job;
    try {
      job = await this.ctx.kube.batch.createNamespacedJob({
        namespace: ns,
        body: buildJob(name, target, config, docker),
      });
    } catch (error) {
      if (apiStatus(error) !== 409) {
        await this.ctx.kube.core.deleteNamespacedSecret({ name, namespace: ns }).catch(() => undefined);
        return fail(STAGE.jobCreate, error);
      }
      outcome = OUTCOME.alreadyExists;
      job = await this.ctx.kube.batch.readNamespacedJob({ name, namespace: ns });
    }
    // Owned by the Job, the Secret goes when the TTL reaps it; this need not delay the pod.
    const attach = this.ctx.kube.core
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
        this.ctx.log.warn('could not attach the runner Secret to its Job', {
          job: name,
          error: apiMessage(error),
        }),
      );
    this.ctx.track(attach);
    this.ctx.tracked.set(name, {
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
    this.ctx.transition(OP.spawn, outcome, origin, started);
    this.ctx.log.info('runner job created', {
      job: name,
      run_id: node.runId,
      node_id: node.nodeId,
      attempt: node.attempt,
    });
  }

  /** Until the worker starts (and heartbeats itself) the dispatcher keeps the claim alive and the Secret's token fresh. */
  renewPendingLeases(): void {
    const now = this.ctx.now();
    for (const t of this.ctx.tracked.values()) {
      if (t.finished || t.started || t.deleting) continue;
      const remaining = t.leaseExpiresAt - now;
      const node = this.ctx.deps.queue.getNode(t.runId, t.nodeId);
      if (!node || node.attempt !== t.attempt || node.status !== 'claimed') continue;
      if (remaining > this.leaseHalfLife(t)) continue;
      const expiresAt = this.ctx.deps.queue.renewLease(t.runId, t.nodeId, t.attempt);
      if (expiresAt === null) continue;
      t.leaseExpiresAt = expiresAt;
      const token = signNodeToken(this.ctx.deps.signingKey, {
        run_id: t.runId,
        node_id: t.nodeId,
        attempt: t.attempt,
        exp: expiresAt,
      });
      this.ctx.track(this.ctx.writeToken(t.jobName, token));
    }
  }

  leaseHalfLife(t: TrackedJob): number {
    return Math.max(1_000, (t.leaseExpiresAt - t.createdAt) / 2);
  }
}
