import type { ControllerClient } from '@sparkwing/client';
import type { ClaimResponse } from '@sparkwing/contracts';
import { type Logger, silentLogger } from '@sparkwing/telemetry';
import { type ExecutorDeps, executeClaim, type NodeExecution } from './execute-node.js';
import { CLAIM_OUTCOMES, type RunnerMetrics } from './metrics.js';

export interface PoolOptions {
  /** Client holding the runner's long-lived claim token (scope nodes.claim). */
  controller: ControllerClient;
  executor: Omit<ExecutorDeps, 'controller' | 'runnerId'>;
  runnerId: string;
  labels: string[];
  maxConcurrent: number;
  /** Only claim nodes of this run (local mode). */
  runId?: string;
  claimWaitMs?: number;
  heartbeatMs?: number;
  version?: string;
  metrics?: RunnerMetrics;
  logger?: Logger;
  onExecuted?: (execution: NodeExecution) => void;
}

export interface Pool {
  /** Stops claiming, waits for in-flight nodes to finish. */
  drain(): Promise<void>;
  readonly inFlight: number;
  /** Resolves once drained. */
  readonly done: Promise<void>;
}

/**
 * The warm-pool loop: heartbeats the controller, long-polls claims into up to `maxConcurrent` slots and
 * executes each claimed node in-process (each node in its own child process).
 */
export function startPool(options: PoolOptions): Pool {
  const logger = options.logger ?? silentLogger;
  const running = new Set<Promise<void>>();
  const abort = new AbortController();
  let draining = false;
  let wake: (() => void) | null = null;
  const slotFreed = () => new Promise<void>((resolve) => (wake = resolve));

  const gauges = () => {
    options.metrics?.busySlots.set(running.size);
    options.metrics?.idleSlots.set(draining ? 0 : options.maxConcurrent - running.size);
  };
  const heartbeat = () =>
    options.controller
      .runnerHeartbeat({
        runner_id: options.runnerId,
        labels: options.labels,
        capacity: options.maxConcurrent,
        version: options.version,
      })
      .catch((error: Error) => logger.warn('runner heartbeat failed', { error: error.message }));
  void heartbeat();
  const beat = setInterval(heartbeat, options.heartbeatMs ?? 5_000);

  const claimRequest = (waitMs: number) => ({
    runner_id: options.runnerId,
    labels: options.labels,
    wait_ms: waitMs,
    // Protocol 2: the claim also starts the node, saving a round trip per node.
    start: true,
    ...(options.runId ? { run_id: options.runId } : {}),
  });
  // A finishing node claims its slot's next node in the same call; without waiting, so an idle slot goes
  // back to the long-polling loop below.
  const chain = {
    request: () => (draining ? null : claimRequest(0)),
    accept: (next: ClaimResponse) => execute(next),
  };

  const execute = (claim: ClaimResponse) => {
    options.metrics?.claims.inc({ outcome: CLAIM_OUTCOMES.claimed });
    logger.info('claimed node', { run_id: claim.run.id, node_id: claim.node.id });
    const end = options.metrics?.execution.startTimer();
    const task: Promise<void> = executeClaim(claim, {
      ...options.executor,
      controller: options.controller,
      runnerId: options.runnerId,
      chain,
    })
      .then((execution) => {
        end?.({ outcome: execution.outcome });
        logger.info('node finished', {
          run_id: execution.run_id,
          node_id: execution.node_id,
          outcome: execution.outcome,
          failure_reason: execution.failure_reason,
        });
        options.onExecuted?.(execution);
      })
      .catch((error: Error) => logger.error('node execution crashed', { error: error.message }))
      .finally(() => {
        running.delete(task);
        gauges();
        wake?.();
      });
    running.add(task);
    gauges();
  };

  const loop = async () => {
    while (!draining) {
      if (running.size >= options.maxConcurrent) {
        await slotFreed();
        continue;
      }
      let claim: ClaimResponse | null;
      try {
        claim = await options.controller.claim(claimRequest(options.claimWaitMs ?? 10_000), abort.signal);
      } catch (error) {
        if (draining) break;
        options.metrics?.claims.inc({ outcome: CLAIM_OUTCOMES.error });
        logger.warn('claim failed', { error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        continue;
      }
      if (!claim) {
        options.metrics?.claims.inc({ outcome: CLAIM_OUTCOMES.empty });
        continue;
      }
      execute(claim);
    }
  };

  gauges();
  const looping = loop();
  const done = (async () => {
    await looping;
    while (running.size > 0) await Promise.all([...running]);
    clearInterval(beat);
    gauges();
    // A drained runner signs off; otherwise it would be listed as lost once its heartbeats stop.
    await options.controller
      .removeRunner(options.runnerId)
      .catch((error: Error) => logger.warn('runner sign-off failed', { error: error.message }));
  })();

  return {
    drain: () => {
      draining = true;
      abort.abort();
      wake?.();
      return done;
    },
    get inFlight() {
      return running.size;
    },
    done,
  };
}
