import type {
  ClaimResponse,
  MetricPoint,
  MetricsResponse,
  NodeFinishRequest,
  PipelineSummary,
  PlanNode,
  Queue,
  Run,
  RunDetail,
  RunList,
  RunNode,
  Runner,
  RunnerHeartbeatRequest,
} from '@sparkwing/contracts';
import { type Logger, silentLogger } from '@sparkwing/telemetry';
import { type Clock, systemClock } from '../clock.js';
import type { Db } from '../db/open.js';
import type { ControllerMetrics } from '../metrics.js';
import { type ClaimFilter, claimNext, claimNode } from './claim-ops.js';
import { DEFAULT_SETTINGS, QueueCore, type QueueSettings } from './core.js';
import { type ActiveNode, listActiveNodes, listReadyNodes, type ReadyNode } from './dispatch-reads.js';
import { EventBus, type QueueEvents } from './events.js';
import * as nodeOps from './node-ops.js';
import * as reads from './reads.js';
import { recordRunnerHeartbeat, removeRunner } from './runners-ops.js';
import { returnClaim } from './return-claim.js';
import * as runOps from './runs-ops.js';
import { type QueueGauges, refreshGauges, type SweepReport, sweep } from './sweeps.js';
import { ClaimWaiters } from './waiters.js';

export interface QueueServiceOptions {
  db: Db;
  metrics: ControllerMetrics;
  signingKey: string;
  settings?: Partial<QueueSettings>;
  clock?: Clock;
  logger?: Logger;
}

/**
 * The queue and DAG scheduler over the SQLite store. Every write is one synchronous IMMEDIATE transaction;
 * events (`nodeReady`, `runCancelled`) are published after commit. The HTTP routes, the sweeper and the
 * Kubernetes dispatcher all go through this class.
 */
export class QueueService {
  readonly core: QueueCore;
  private readonly bus = new EventBus();
  private readonly waiters: ClaimWaiters;

  constructor(options: QueueServiceOptions) {
    const logger = options.logger ?? silentLogger;
    this.waiters = new ClaimWaiters((filter) => claimNext(this.core, filter));
    this.core = new QueueCore(
      options.db,
      options.clock ?? systemClock,
      options.metrics,
      this.bus,
      { ...DEFAULT_SETTINGS, ...options.settings },
      options.signingKey,
      logger,
      (events) => {
        const onError = (error: unknown) => logger.error('queue event listener failed', { error });
        for (const e of events.ready) this.bus.emit('nodeReady', e, onError);
        for (const e of events.cancelled) this.bus.emit('runCancelled', e, onError);
        this.waiters.notify(events.ready);
      },
    );
  }

  get settings(): QueueSettings {
    return this.core.settings;
  }

  /** Subscribes to queue events; returns the unsubscribe function. */
  on<K extends keyof QueueEvents>(name: K, listener: (event: QueueEvents[K]) => void): () => void {
    return this.bus.on(name, listener);
  }

  // Runs

  trigger(input: runOps.TriggerInput): runOps.TriggerResult {
    return runOps.trigger(this.core, input);
  }
  /** Stores the DAG; `planAttempt` is the `_plan` attempt whose token posted it (409 if it lost the lease). */
  postPlan(runId: string, planAttempt: number, planNodes: PlanNode[], bundleDigest?: string): void {
    runOps.postPlan(this.core, runId, planAttempt, planNodes, bundleDigest);
  }
  cancelRun(runId: string): Run {
    return runOps.cancelRun(this.core, runId);
  }
  retryRun(runId: string, actor: string | null = null): runOps.TriggerResult {
    return runOps.retryRun(this.core, runId, actor);
  }
  deleteRun(runId: string): boolean {
    return runOps.deleteRun(this.core, runId);
  }
  getRun(runId: string): Run | null {
    return reads.getRun(this.core, runId);
  }
  getRunDetail(runId: string): RunDetail | null {
    return reads.getRunDetail(this.core, runId);
  }
  listRuns(query: reads.RunListQuery): RunList {
    return reads.listRuns(this.core, query);
  }
  listPipelines(): PipelineSummary[] {
    return reads.listPipelines(this.core);
  }

  // Claiming

  /** Claims the oldest ready node the labels satisfy, or null. Never blocks. */
  claim(filter: ClaimFilter): ClaimResponse | null {
    return claimNext(this.core, filter);
  }
  /** Like `claim`, but waits up to `waitMs` for a matching node to become ready. */
  async claimWait(filter: ClaimFilter, waitMs: number, signal?: AbortSignal): Promise<ClaimResponse | null> {
    const now = claimNext(this.core, filter);
    if (now || waitMs <= 0) return now;
    return this.waiters.wait(filter, waitMs, signal);
  }
  /** Puts back a claim whose answer never reached its runner (see `returnClaim`). */
  returnClaim(claim: Parameters<typeof returnClaim>[1]): boolean {
    return returnClaim(this.core, claim);
  }
  /** Claims one specific ready node for `holder`; null if it is not ready any more (someone else got it). */
  claimNode(runId: string, nodeId: string, holder: string): ClaimResponse | null {
    return claimNode(this.core, runId, nodeId, holder);
  }
  /** Answers every waiting long-poll claim with "nothing" (shutdown). */
  releaseWaiters(): void {
    this.waiters.releaseAll();
  }

  // Nodes (runner side; `attempt` comes from the verified node token)

  getNode(runId: string, nodeId: string): RunNode | null {
    return reads.getNode(this.core, runId, nodeId);
  }
  /** Throws 404 / 409 `lease_lost` unless `attempt` still holds the node. */
  requireLease(runId: string, nodeId: string, attempt: number): void {
    nodeOps.requireLease(this.core.q, runId, nodeId, attempt);
  }
  /** `requireLease`, and the node is still executing and not being cancelled (secrets need this). */
  requireLiveLease(runId: string, nodeId: string, attempt: number): void {
    nodeOps.requireLiveLease(this.core.q, runId, nodeId, attempt);
  }
  startNode(runId: string, nodeId: string, attempt: number, runnerId?: string): RunNode {
    return nodeOps.startNode(this.core, runId, nodeId, attempt, runnerId);
  }
  heartbeatNode(
    runId: string,
    nodeId: string,
    attempt: number,
    statusDetail?: string,
  ): nodeOps.NodeHeartbeat {
    return nodeOps.heartbeatNode(this.core, runId, nodeId, attempt, statusDetail);
  }
  finishNode(runId: string, nodeId: string, attempt: number, body: NodeFinishRequest): RunNode {
    return nodeOps.finishNode(this.core, runId, nodeId, attempt, body);
  }
  addMetrics(runId: string, nodeId: string, attempt: number, points: MetricPoint[]): number {
    return nodeOps.addMetrics(this.core, runId, nodeId, attempt, points);
  }
  getMetrics(runId: string, nodeId: string): MetricsResponse {
    return { points: reads.getMetrics(this.core, runId, nodeId) };
  }

  // Dispatcher side

  listReadyNodes(options?: { limit?: number; runId?: string }): ReadyNode[] {
    return listReadyNodes(this.core, options);
  }
  listActiveNodes(): ActiveNode[] {
    return listActiveNodes(this.core);
  }
  failNode(runId: string, nodeId: string, attempt: number, failure: nodeOps.NodeFailure): boolean {
    return nodeOps.failNode(this.core, runId, nodeId, attempt, failure);
  }
  setStatusDetail(runId: string, nodeId: string, detail: string | null): boolean {
    return nodeOps.setStatusDetail(this.core, runId, nodeId, detail);
  }
  storeDeathLog(runId: string, nodeId: string, log: string): boolean {
    return nodeOps.storeDeathLog(this.core, runId, nodeId, log);
  }
  renewLease(runId: string, nodeId: string, attempt: number, durationMs?: number): number | null {
    return nodeOps.renewLease(this.core, runId, nodeId, attempt, durationMs);
  }

  // Runners, queue view, sweeps

  recordRunnerHeartbeat(body: RunnerHeartbeatRequest): { lastSeen: number } {
    return recordRunnerHeartbeat(this.core, body);
  }
  removeRunner(runnerId: string): boolean {
    return removeRunner(this.core, runnerId);
  }
  listRunners(): Runner[] {
    return reads.listRunners(this.core);
  }
  queue(): Queue {
    return reads.queueSnapshot(this.core);
  }
  sweep(): SweepReport {
    return sweep(this.core);
  }
  refreshGauges(): QueueGauges {
    return refreshGauges(this.core);
  }
}
