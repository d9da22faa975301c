import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CacheClient, ClientError, type ControllerClient } from '@sparkwing/client';
import {
  type ClaimResponse,
  type FailureReason,
  type NodeFinishRequest,
  nodeSchema,
  PLAN_NODE_ID,
  parseDuration,
  parseMemoryQuantity,
  type PlanRequest,
} from '@sparkwing/contracts';
import { type ChildTask, Masker } from '@sparkwing/sdk';
import { findPipeline, parseSparkwingConfig } from '@sparkwing/sdk/config';
import { type Logger, silentLogger } from '@sparkwing/telemetry';
import { type BinCache, bundlePipeline } from './bundle.js';
import { createMemoryCgroup, type MemoryCgroup } from './cgroup.js';
import { checkoutCode } from './code.js';
import { classifyExit } from './classify.js';
import { NodeProcess } from './node-process.js';
import { TreeSampler } from './proc-tree.js';
import { isAuthError, type ShipperFactory } from './shipper.js';
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

async function readOutputs(
  deps: ExecutorDeps,
  claim: ClaimResponse,
  token: string,
): Promise<Record<string, unknown>> {
  const outputs: Record<string, unknown> = {};
  for (const need of claim.node.needs) {
    const path = `/api/v1/runs/${encodeURIComponent(claim.run.id)}/nodes/${encodeURIComponent(need)}`;
    const node = await deps.controller.http
      .call('GET', path, { token, schema: nodeSchema })
      .catch(() => deps.controller.getNode(claim.run.id, need));
    outputs[need] = node.output ?? null;
  }
  return outputs;
}

/**
 * Executes one claimed node end to end: code, compiled pipeline, node process, logs, lease renewal,
 * resource samples, timeout, cgroup memory limit, and the finish report. Never throws for node failures.
 */
export async function executeClaim(claim: ClaimResponse, deps: ExecutorDeps): Promise<NodeExecution> {
  const started = Date.now();
  const { run, node } = claim;
  const logger = (deps.logger ?? silentLogger).child({ run_id: run.id, node_id: node.id });
  let token = claim.lease.token;
  const shipper = deps.shipper({ runId: run.id, nodeId: node.id, token: () => token });
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
  let lost = false;
  let proc: NodeProcess | null = null;
  let cgroup: MemoryCgroup | null = null;
  let cancelled = false;
  const timers: NodeJS.Timeout[] = [];
  let release: () => void = () => undefined;
  let output: unknown;

  try {
    await deps.controller.startNode(run.id, node.id, token, { runner_id: deps.runnerId });
    const leaseMs = Math.max(1_000, Date.parse(claim.lease.expires_at) - Date.now());
    const renewMs = deps.leaseRenewMs ?? Math.min(5_000, Math.max(500, Math.floor(leaseMs / 3)));
    timers.push(
      setInterval(() => {
        deps.controller.heartbeatNode(run.id, node.id, token).then(
          (beat) => {
            token = beat.token;
            if (beat.cancel_requested && !cancelled) {
              cancelled = true;
              line('system', 'cancel requested: stopping the node');
              proc?.terminate('cancelled');
            }
          },
          (error: unknown) => {
            if (error instanceof ClientError && error.status === 409) {
              lost = true;
              logger.warn('lease taken over by another runner; killing the node', { status: 409 });
              proc?.kill();
            }
          },
        );
      }, renewMs),
    );
    line('system', `runner ${deps.runnerId} executing ${node.id} (attempt ${node.attempt})`);

    const cache = deps.cacheUrl
      ? new CacheClient({ baseUrl: deps.cacheUrl, token, userAgent: 'sparkwing-runner' })
      : undefined;
    const code = await checkoutCode(run, node.id, deps.home, cache);
    release = code.release;
    const sparkwingDir = join(code.dir, '.sparkwing');
    const configFile = join(sparkwingDir, 'sparkwing.yaml');
    if (!existsSync(configFile)) throw new Error(`no .sparkwing/sparkwing.yaml in ${code.dir}`);
    const entry = findPipeline(
      parseSparkwingConfig(readFileSync(configFile, 'utf8'), configFile),
      run.pipeline,
      configFile,
    );
    const bin: BinCache | undefined = cache && {
      get: (key) => cache.getBin(key),
      put: (key, body) => cache.putBin(key, body),
    };
    const bundle = await bundlePipeline(sparkwingDir, deps.home, bin);
    execution.bundle = { key: bundle.key, source: bundle.source, ms: Math.round(bundle.ms) };
    line(
      'system',
      `compiled pipeline ${bundle.key} (${bundle.source === 'built' ? 'built' : `${bundle.source} cache`} in ${Math.round(bundle.ms)}ms)`,
    );

    const task: ChildTask =
      node.id === PLAN_NODE_ID
        ? {
            kind: 'plan',
            entrypoint: entry.entrypoint,
            args: run.args,
            requires: entry.requires,
            timeoutMs: entry.timeout ? parseDuration(entry.timeout) : undefined,
          }
        : {
            kind: 'job',
            entrypoint: entry.entrypoint,
            runId: run.id,
            jobId: node.id,
            args: run.args,
            outputs: await readOutputs(deps, claim, token),
            cwd: code.dir,
          };
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
    proc = new NodeProcess({
      bundlePath: bundle.path,
      task,
      cwd: code.dir,
      env: {
        ...process.env,
        ...deps.env,
        ...node.env,
        SPARKWING_RUN_ID: run.id,
        SPARKWING_NODE_ID: node.id,
        SPARKWING_PIPELINE: run.pipeline,
      },
      cgroup,
      onLine: line,
      onSecret: async (name) => {
        const secret = await deps.controller.runSecret(run.id, name, token);
        masker.add(secret.value);
        return secret.value;
      },
    });
    const running = proc;
    if (lost) running.kill();
    let timedOut = false;
    if (node.timeout_s) {
      timers.push(
        setTimeout(() => {
          timedOut = true;
          line('system', `timeout after ${node.timeout_s}s: killing the node's process tree`);
          running.terminate('timeout');
        }, node.timeout_s * 1000),
      );
    }
    const sampler = running.pid === undefined ? null : new TreeSampler(running.pid);
    sampler?.sample();
    timers.push(
      setInterval(() => {
        const point = sampler?.sample();
        if (point) deps.controller.postMetrics(run.id, node.id, token, [point]).catch(() => undefined);
      }, deps.sampleIntervalMs ?? SAMPLE_INTERVAL_MS),
    );
    timers.push(
      setInterval(() => {
        if (shipper.authFailed) running.kill();
      }, 250),
    );
    const exit = await running.exited;
    for (const timer of timers) clearInterval(timer);
    const verdict = classifyExit({
      exit,
      timedOut,
      cancelled,
      oomKills: cgroup?.oomKills() ?? 0,
      logsAuthFailed: shipper.authFailed,
    });
    Object.assign(execution, verdict);
    if (exit.message?.type === 'result' && exit.message.result.ok) output = exit.message.result.output;
    if (exit.message?.type === 'plan' && verdict.outcome === 'success' && !lost) {
      const plan: PlanRequest = exit.message.plan;
      await deps.controller.plan(run.id, plan, token);
      line('system', `plan posted: ${plan.nodes.map((n) => n.id).join(', ')}`);
    }
  } catch (error) {
    if (error instanceof ClientError && error.status === 409) lost = true;
    execution.outcome = 'failed';
    execution.error = (error as Error).message;
    line('system', `error: ${(error as Error).message}`);
  } finally {
    for (const timer of timers) clearInterval(timer);
    proc?.kill();
  }

  if (lost) {
    execution.outcome = 'lost';
    await Promise.resolve(shipper.close()).catch(() => undefined);
    cgroup?.remove();
    release();
    execution.duration_ms = Date.now() - started;
    return execution;
  }
  const summary =
    execution.outcome === 'success'
      ? `${node.id} succeeded`
      : `${node.id} failed${execution.failure_reason ? ` (${execution.failure_reason})` : ''}${execution.exit_code === null ? '' : `, exit code ${execution.exit_code}`}`;
  if (execution.outcome !== 'success' && execution.error) tail.push(masker.mask(execution.error));
  shipper.write({ ts: new Date().toISOString(), stream: 'system', msg: summary, final: true });
  try {
    await shipper.flush();
  } catch (error) {
    if (!isAuthError(error)) logger.warn('log flush failed', { error: (error as Error).message });
  }
  if (shipper.authFailed) {
    execution.outcome = 'failed';
    execution.failure_reason = 'logs_auth';
    execution.error = "the logs service rejected this node's log appends (401/403)";
  }
  const finish: NodeFinishRequest = {
    outcome: execution.outcome === 'success' ? 'success' : 'failed',
    logs_tail: tail.text(),
    ...(execution.failure_reason ? { failure_reason: execution.failure_reason } : {}),
    ...(execution.exit_code === null ? {} : { exit_code: execution.exit_code }),
    ...(execution.error ? { error: masker.mask(execution.error).slice(0, 16_000) } : {}),
    ...(output !== undefined && execution.outcome === 'success' ? { output } : {}),
  };
  try {
    await deps.controller.finishNode(run.id, node.id, token, finish);
  } catch (error) {
    if (error instanceof ClientError && error.status === 409) execution.outcome = 'lost';
    else logger.error('could not report the node result', { error: (error as Error).message });
  }
  await Promise.resolve(shipper.close()).catch(() => undefined);
  cgroup?.remove();
  release();
  execution.duration_ms = Date.now() - started;
  return execution;
}
