import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CacheClient, ClientError, type ControllerClient } from '@sparkwing/client';
import {
  type ClaimResponse,
  type FailureReason,
  PLAN_NODE_ID,
  parseMemoryQuantity,
} from '@sparkwing/contracts';
import { Masker } from '@sparkwing/sdk';
import { findPipeline, parseSparkwingConfig } from '@sparkwing/sdk/config';
import { CICD, type Logger, nodeSpanAttributes, silentLogger, withRunSpan } from '@sparkwing/telemetry';
import { type BinCache, bundlePipeline } from './bundle.js';
import { createMemoryCgroup, type MemoryCgroup, ownOomKillCounter } from './cgroup.js';
import { classifyExit } from './classify.js';
import { checkoutCode } from './code.js';
import { Lease } from './lease.js';
import { nodeEnvironment } from './node-env.js';
import { NodeProcess } from './node-process.js';
import { buildTask } from './node-task.js';
import { type ClaimChain, reportFinish } from './report.js';
import type { ShipperFactory } from './shipper.js';
import { supervise } from './supervise.js';
import { LogTail } from './tail.js';

export interface ExecutorDeps {
  /** Controller client; node-token routes get the lease token per call. */
  controller: ControllerClient;
  shipper: ShipperFactory;
  /** $SPARKWING_HOME: compiled-pipeline cache and temporary checkouts. */
  home: string;
  runnerId: string;
  /** Cache service (code tarballs, git archives, shared compiled pipelines), called with the node token. */
  cacheUrl?: string;
  logger?: Logger;
  /** Node lease renewal period; defaults to a third of the lease, at most 5 s. */
  leaseRenewMs?: number;
  sampleIntervalMs?: number;
  /** Extra environment for node processes. */
  env?: Record<string, string | undefined>;
  /** Turns off per-node memory cgroups (e.g. tests on machines that have none). */
  cgroups?: boolean;
  /** The pool's hook to claim this slot's next node in the finish call (protocol 2). */
  chain?: ClaimChain;
}

export interface NodeExecution {
  run_id: string;
  node_id: string;
  /** `lost`: another runner owns the node now (409), nothing was reported. */
  outcome: 'success' | 'failed' | 'lost';
  failure_reason: FailureReason | null;
  exit_code: number | null;
  error: string | null;
  duration_ms: number;
  bundle?: { key: string; source: 'built' | 'local' | 'remote'; ms: number };
}

const SAMPLE_INTERVAL_MS = 2_000;

/**
 * Executes one claimed node end to end: code, compiled pipeline, node process, logs, lease renewal,
 * resource samples, timeout, cgroup memory limit, and the finish report. Never throws for node failures.
 * The execution is a span in the run's trace (exported when OpenTelemetry is started).
 */
export function executeClaim(claim: ClaimResponse, deps: ExecutorDeps): Promise<NodeExecution> {
  const attributes = nodeSpanAttributes({
    runId: claim.run.id,
    pipeline: claim.run.pipeline,
    nodeId: claim.node.id,
    attempt: claim.node.attempt,
    runnerId: deps.runnerId,
  });
  return withRunSpan('sparkwing-runner', claim.run.id, 'node.execute', attributes, async (span) => {
    const execution = await executeNode(claim, deps);
    span.setAttribute(CICD.taskRunResult, execution.outcome);
    if (execution.failure_reason) span.setAttribute(CICD.failureReason, execution.failure_reason);
    return execution;
  });
}

async function executeNode(claim: ClaimResponse, deps: ExecutorDeps): Promise<NodeExecution> {
  const started = Date.now();
  const { run, node } = claim;
  const logger = (deps.logger ?? silentLogger).child({ run_id: run.id, node_id: node.id });
  let proc: NodeProcess | null = null;
  const lease = new Lease(
    deps.controller,
    run.id,
    node.id,
    claim.lease,
    {
      onCancel: () => {
        line('system', 'cancel requested: stopping the node');
        proc?.terminate('cancelled');
      },
      onLost: () => {
        logger.warn('lease taken over by another runner; killing the node', { status: 409 });
        proc?.kill();
      },
    },
    deps.leaseRenewMs,
  );
  const shipper = deps.shipper({ runId: run.id, nodeId: node.id, token: () => lease.token });
  const masker = new Masker();
  const tail = new LogTail();
  const line = (stream: 'stdout' | 'stderr' | 'system', msg: string, step?: string) => {
    const masked = masker.mask(msg);
    tail.push(step ? `[${step}] ${masked}` : masked);
    shipper.write({ ts: new Date().toISOString(), stream, msg: masked, ...(step ? { step } : {}) });
  };
  const execution: NodeExecution = {
    run_id: run.id,
    node_id: node.id,
    outcome: 'failed',
    failure_reason: null,
    exit_code: null,
    error: null,
    duration_ms: 0,
  };
  let cgroup: MemoryCgroup | null = null;
  let release: () => void = () => undefined;
  let output: unknown;

  try {
    // A claim made with `start` is already running; a dispatched claim (worker) still needs the start call.
    if (node.status !== 'running') {
      await deps.controller.startNode(run.id, node.id, lease.token, { runner_id: deps.runnerId });
    }
    lease.start();
    line('system', `runner ${deps.runnerId} executing ${node.id} (attempt ${node.attempt})`);

    const cache = deps.cacheUrl
      ? new CacheClient({ baseUrl: deps.cacheUrl, token: lease.token, userAgent: 'sparkwing-runner' })
      : undefined;
    const code = await checkoutCode(run, node.id, deps.home, cache);
    release = code.release;
    const sparkwingDir = join(code.dir, '.sparkwing');
    const configFile = join(sparkwingDir, 'sparkwing.yaml');
    if (!existsSync(configFile)) throw new Error(`no .sparkwing/sparkwing.yaml in ${code.dir}`);
    const config = parseSparkwingConfig(readFileSync(configFile, 'utf8'), configFile);
    const entry = findPipeline(config, run.pipeline, configFile);
    const bin: BinCache | undefined = cache && {
      get: (key) => cache.getBin(key),
      put: (key, body) => cache.putBin(key, body),
    };
    const bundle = await bundlePipeline(sparkwingDir, deps.home, {
      bin,
      digest: node.id === PLAN_NODE_ID ? null : run.bundle_digest,
      onRefused: (why) => line('system', why),
    });
    execution.bundle = { key: bundle.digest, source: bundle.source, ms: Math.round(bundle.ms) };
    const how = bundle.source === 'built' ? 'built' : `${bundle.source} cache`;
    line('system', `compiled pipeline ${bundle.digest} (${how} in ${Math.round(bundle.ms)}ms)`);

    const task = await buildTask(deps.controller, claim, entry, code.dir, lease.token);
    if (node.resources.memory && deps.cgroups !== false && node.id !== PLAN_NODE_ID) {
      const limit = parseMemoryQuantity(node.resources.memory);
      cgroup = createMemoryCgroup(`sparkwing-${process.pid}-${run.id}-${node.id}-${node.attempt}`, limit);
      line(
        'system',
        cgroup
          ? `memory limit ${node.resources.memory} enforced by cgroup v${cgroup.version}`
          : `memory limit ${node.resources.memory} not enforced: no writable cgroup memory controller`,
      );
    }
    // Without a node cgroup (a runner pod cannot create one), a rise of the container's own oom_kill
    // counter while the node runs is the OOM evidence.
    const ownOomKills = cgroup ? null : ownOomKillCounter();
    const ownOomKillsBefore = ownOomKills?.() ?? 0;
    proc = new NodeProcess({
      bundlePath: bundle.path,
      task,
      cwd: code.dir,
      env: nodeEnvironment(
        { ...process.env, ...deps.env },
        {
          ...node.env,
          SPARKWING_RUN_ID: run.id,
          SPARKWING_NODE_ID: node.id,
          SPARKWING_PIPELINE: run.pipeline,
        },
      ),
      cgroup,
      onLine: line,
      onSecret: async (name) => {
        const secret = await deps.controller.runSecret(run.id, name, lease.token);
        masker.add(secret.value);
        return secret.value;
      },
    });
    const exit = await supervise(proc, {
      timeoutS: node.timeout_s,
      onTimeout: () => line('system', `timeout after ${node.timeout_s}s: killing the node's process tree`),
      onSample: (point) => {
        deps.controller.postMetrics(run.id, node.id, lease.token, [point]).catch(() => undefined);
      },
      sampleIntervalMs: deps.sampleIntervalMs ?? SAMPLE_INTERVAL_MS,
      mustKill: () => lease.lost || shipper.authFailed,
    });
    if (exit.exitSample && !lease.lost)
      await deps.controller
        .postMetrics(run.id, node.id, lease.token, [exit.exitSample])
        .catch(() => undefined);
    const verdict = classifyExit({
      exit,
      timedOut: exit.timedOut,
      cancelled: lease.cancelled,
      oomKills: cgroup ? cgroup.oomKills() : (ownOomKills?.() ?? 0) - ownOomKillsBefore,
      logsAuthFailed: shipper.authFailed,
    });
    Object.assign(execution, verdict);
    if (exit.message?.type === 'result' && exit.message.result.ok)
      output = masker.maskDeep(exit.message.result.output);
    if (exit.message?.type === 'plan' && verdict.outcome === 'success' && !lease.lost) {
      // A run whose output cannot be stored must not spread: confirm the logs are accepted before the plan
      // makes its jobs claimable (the finish report then fails `_plan` with logs_auth).
      await Promise.resolve(shipper.flush()).catch(() => undefined);
      if (!shipper.authFailed) {
        const plan = { ...exit.message.plan, bundle_digest: bundle.digest };
        await deps.controller.plan(run.id, plan, lease.token);
        line('system', `plan posted: ${exit.message.plan.nodes.map((n) => n.id).join(', ')}`);
      }
    }
  } catch (error) {
    if (error instanceof ClientError && error.status === 409) lease.markLost();
    execution.outcome = 'failed';
    execution.error = (error as Error).message;
    line('system', `error: ${(error as Error).message}`);
  } finally {
    lease.stop();
    proc?.kill();
  }

  if (lease.lost) execution.outcome = 'lost';
  else
    await reportFinish({
      controller: deps.controller,
      claim,
      token: () => lease.token,
      shipper,
      tail,
      masker,
      logger,
      execution,
      output,
      chain: deps.chain,
    });
  await Promise.resolve(shipper.close()).catch(() => undefined);
  cgroup?.remove();
  release();
  execution.duration_ms = Date.now() - started;
  return execution;
}
