import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ControllerClient, type FetchLike, LogsClient } from '@sparkwing/client';
import { executeClaim } from '../src/execute-node.js';
import { httpShipperFactory } from '../src/services.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryCgroup } from '../src/cgroup.js';
import { tempDir, writeRepo } from './helpers.js';
import { PIPELINE_NAMES, TEST_PIPELINES } from './pipelines.js';
import {
  runnerEnv,
  type Service,
  type Stack,
  startProcess,
  startRunner,
  startStack,
  stopProcess,
  waitForRun,
} from './services.js';

let stack: Stack;
let uploadRef: string;

beforeAll(async () => {
  stack = await startStack();
  uploadRef = await stack.upload(writeRepo(TEST_PIPELINES, PIPELINE_NAMES));
});

afterAll(async () => {
  await stack?.stop();
});

async function withRunner<T>(
  args: string[],
  fn: (runner: Service) => Promise<T>,
  env: Record<string, string> = {},
): Promise<T> {
  const runner = await startRunner(stack, args, env);
  try {
    return await fn(runner);
  } finally {
    await runner.stop();
  }
}

const trigger = async (pipeline: string) =>
  (await stack.admin.trigger({ pipeline, upload_ref: uploadRef })).run_id;
const nodeOf = (detail: Awaited<ReturnType<typeof waitForRun>>, id: string) =>
  detail.nodes.find((node) => node.id === id)!;

describe('sparkwing-runner against real controller, logs and cache processes', () => {
  it('runs a multi-job pipeline: plan, parallel jobs, outputs to dependents, logs', async () => {
    await withRunner(['--max-concurrent', '2', '--label', 'linux'], async (runner) => {
      const runId = await trigger('ci');
      const detail = await waitForRun(stack.admin, runId);
      expect(detail.run.status).toBe('success');
      expect(detail.nodes.map((node) => [node.id, node.status])).toEqual([
        ['_plan', 'success'],
        ['a', 'success'],
        ['b', 'success'],
        ['c', 'success'],
        ['d', 'success'],
      ]);
      expect(nodeOf(detail, 'b').output).toEqual({ doubled: 42 });
      // Jobs shorter than the sampling interval still leave one resource sample (taken at exit).
      for (const id of ['_plan', 'a', 'b', 'c', 'd']) {
        const { points } = await stack.admin.getMetrics(runId, id);
        expect(points.length).toBeGreaterThanOrEqual(1);
        expect(Math.max(...points.map((point) => point.memory_bytes))).toBeGreaterThan(0);
      }
      // Protocol 2: every claim also started its node (no separate start call).
      for (const node of detail.nodes) expect(node.started_at).toBe(node.claimed_at);
      expect(nodeOf(detail, 'a').result).toMatchObject({ success: true, failure_reason: null, exit_code: 0 });
      const logs = new LogsClient({ baseUrl: stack.logs.url, token: stack.adminToken });
      const d = await logs.read(runId, 'd');
      expect(d.map((record) => record.msg)).toContain('d sees 42');
      expect(d.at(-1)).toMatchObject({ stream: 'system', final: true });
      const c = await logs.read(runId, 'c');
      expect(c).toContainEqual(expect.objectContaining({ stream: 'stderr', msg: 'c' }));
      expect(c).toContainEqual(expect.objectContaining({ stream: 'stdout', msg: 'token:withheld' }));
      const metrics = await (await fetch(`http://127.0.0.1:${runner.port}/metrics`)).text();
      expect(metrics).toMatch(/sparkwing_runner_claims_total\{[^}]*outcome="claimed"[^}]*\} [1-9]/);
      expect(metrics).toMatch(/sparkwing_node_execution_seconds_count\{[^}]*outcome="success"[^}]*\} 5/);
      expect(metrics).toContain('sparkwing_runner_idle_slots');
      expect((await fetch(`http://127.0.0.1:${runner.port}/healthz`)).status).toBe(200);
    });
  });

  it('classifies timeout, verify and a non-zero exit', async () => {
    await withRunner(['--max-concurrent', '3'], async () => {
      const detail = await waitForRun(stack.admin, await trigger('failures'));
      expect(detail.run.status).toBe('failed');
      expect(nodeOf(detail, 'slow').result).toMatchObject({ success: false, failure_reason: 'timeout' });
      expect(nodeOf(detail, 'unverified').result).toMatchObject({ success: false, failure_reason: 'verify' });
      const exit3 = nodeOf(detail, 'exit3').result!;
      expect(exit3).toMatchObject({ success: false, failure_reason: null, exit_code: 3 });
      expect(exit3.logs).toContain('about to fail');
      expect(exit3.logs.split('\n').length).toBeLessThanOrEqual(20);
    });
  });

  it('fails a node oom_killed on the cgroup oom_kill evidence when memory is limited', async () => {
    const probe = createMemoryCgroup(`sparkwing-probe-${process.pid}`, 64 * 1024 * 1024);
    probe?.remove();
    await withRunner([], async () => {
      const detail = await waitForRun(stack.admin, await trigger('hog'));
      const result = nodeOf(detail, 'hog').result!;
      expect(result.success).toBe(false);
      if (probe) expect(result).toMatchObject({ failure_reason: 'oom_killed', exit_code: 137 });
      else expect(result.failure_reason).not.toBe('oom_killed');
    });
  });

  it('samples the node process tree every ~2 s (a busy loop is about one core)', async () => {
    await withRunner([], async () => {
      const runId = await trigger('busy');
      const detail = await waitForRun(stack.admin, runId);
      expect(detail.run.status).toBe('success');
      const { points } = await stack.admin.getMetrics(runId, 'spin');
      expect(points.length).toBeGreaterThanOrEqual(2);
      // The busy loop reports the CPU it actually got (other test processes compete for the 2 cores);
      // the samples must agree with it, and one single-threaded loop cannot exceed about one core.
      const spin = detail.nodes.find((node) => node.id === 'spin')!.output as {
        cpu_ms: number;
        wall_ms: number;
      };
      const actual = (spin.cpu_ms / spin.wall_ms) * 1000;
      const peak = Math.max(...points.map((point) => point.cpu_millicores));
      expect(peak).toBeGreaterThan(actual * 0.7);
      expect(peak).toBeLessThan(1_400);
      expect(Math.max(...points.map((point) => point.memory_bytes))).toBeGreaterThan(20 * 1024 * 1024);
      const gaps = points.slice(1).map((point, i) => Date.parse(point.ts) - Date.parse(points[i]!.ts));
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1_000);
    });
  });

  it('fails a node logs_auth when the logs service rejects its appends', async () => {
    const strangerLogs = await startProcess('services/logs/dist/main.js', [], {
      PORT: '0',
      HOST: '127.0.0.1',
      SPARKWING_DATA_DIR: tempDir('other-logs'),
      SPARKWING_SIGNING_KEY: randomBytes(24).toString('hex'),
    });
    try {
      await withRunner(
        [],
        async () => {
          const detail = await waitForRun(stack.admin, await trigger('sleepy'));
          expect(detail.run.status).toBe('failed');
          expect(nodeOf(detail, '_plan').result).toMatchObject({
            success: false,
            failure_reason: 'logs_auth',
          });
        },
        { SPARKWING_LOGS_URL: strangerLogs.url },
      );
    } finally {
      await strangerLogs.stop();
    }
  });

  it('drains on SIGTERM: finishes the in-flight node, claims nothing new, exits 0', async () => {
    const runner = await startRunner(stack, []);
    const first = await trigger('sleepy');
    for (;;) {
      const detail = await stack.admin.getRun(first);
      if (detail.nodes.find((node) => node.id === 'nap')?.status === 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const runnerId = (await stack.admin.getRun(first)).nodes.find((node) => node.id === 'nap')!.runner_id!;
    expect((await stack.admin.listRunners()).runners.map((r) => r.runner_id)).toContain(runnerId);
    const exited = stopProcess(runner.proc, 'SIGTERM');
    while (!runner.output().includes('draining')) await new Promise((r) => setTimeout(r, 20));
    const second = await trigger('sleepy');
    expect(await exited).toBe(0);
    // It signed off on the way out, so it is not listed (and never turns "lost").
    expect((await stack.admin.listRunners()).runners.map((r) => r.runner_id)).not.toContain(runnerId);
    expect((await stack.admin.getRun(first)).run.status).toBe('success');
    const queued = await stack.admin.getRun(second);
    expect(queued.run.status).toBe('queued');
    expect(runner.output()).toContain('draining');
    await stack.admin.cancelRun(second);
  });

  it('worker executes the node claimed for it and exits with its status', async () => {
    const runId = await trigger('failures');
    const worker = async (expectNode?: string) => {
      const claim = await stack.admin.claim({ runner_id: 'dispatcher', run_id: runId, wait_ms: 5_000 });
      if (!claim) throw new Error('nothing to claim');
      if (expectNode) expect(claim.node.id).toBe(expectNode);
      const proc = spawn(
        process.execPath,
        [resolve(import.meta.dirname, '../bin/sparkwing-runner.js'), 'worker'],
        {
          env: {
            PATH: process.env.PATH ?? '',
            ...runnerEnv(stack),
            SPARKWING_RUN_ID: runId,
            SPARKWING_NODE_ID: claim.node.id,
            SPARKWING_AGENT_TOKEN: claim.lease.token,
          },
          stdio: 'ignore',
        },
      );
      return { node: claim.node.id, code: await new Promise<number | null>((done) => proc.on('exit', done)) };
    };
    expect(await worker('_plan')).toEqual({ node: '_plan', code: 0 });
    const results = [await worker(), await worker(), await worker()];
    expect(Object.fromEntries(results.map((r) => [r.node, r.code]))).toMatchObject({
      exit3: 3,
      unverified: 1,
    });
  });

  it('masks secret values in streamed output, errors and the result tail', async () => {
    await stack.admin.putSecret('DEPLOY_TOKEN', 'tok-9f8e7d6c5b');
    await withRunner([], async () => {
      const runId = await trigger('secretive');
      const detail = await waitForRun(stack.admin, runId);
      const node = nodeOf(detail, 'use');
      expect(node.result?.logs).toContain('deploying with ***');
      expect(node.result?.logs).toContain('raw console line ***');
      expect(node.error).toContain('refused token ***');
      const logs = await new LogsClient({ baseUrl: stack.logs.url, token: stack.adminToken }).read(
        runId,
        'use',
      );
      expect(logs.map((record) => record.msg)).toContain('deploying with ***');
      expect(JSON.stringify([logs, node])).not.toContain('tok-9f8e7d6c5b');
    });
  });

  it('stops a node whose run is cancelled', async () => {
    await withRunner([], async () => {
      const runId = await trigger('long');
      for (;;) {
        const detail = await stack.admin.getRun(runId);
        if (detail.nodes.find((node) => node.id === 'wait')?.status === 'running') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await stack.admin.cancelRun(runId);
      const detail = await waitForRun(stack.admin, runId, 20_000);
      expect(detail.run.status).toBe('cancelled');
      expect(nodeOf(detail, 'wait').status).not.toBe('running');
    });
  });

  it('agent reads its settings from agent.yaml', async () => {
    const dir = tempDir('agent');
    const file = join(dir, 'agent.yaml');
    writeFileSync(
      file,
      [
        `controller_url: ${stack.controller.url}`,
        `logs_url: ${stack.logs.url}`,
        `cache_url: ${stack.cache.url}`,
        `token: ${stack.runnerToken}`,
        'labels: [laptop, gpu]',
        'concurrency: 2',
        'runner_id: ada-laptop',
      ].join('\n'),
    );
    const agent = await startProcess(
      'services/runner/bin/sparkwing-runner.js',
      ['agent', '--config', file, '--metrics-port', '0'],
      { SPARKWING_HOME: tempDir('agent-home') },
      'metrics_port',
    );
    try {
      const detail = await waitForRun(stack.admin, await trigger('ci'));
      expect(detail.run.status).toBe('success');
      expect(new Set(detail.nodes.map((node) => node.runner_id))).toEqual(new Set(['ada-laptop']));
      const { runners } = await stack.admin.listRunners();
      expect(runners.find((runner) => runner.runner_id === 'ada-laptop')).toMatchObject({
        labels: ['laptop', 'gpu'],
        capacity: 2,
      });
    } finally {
      await agent.stop();
    }
  });

  it('runs jobs on the compiled pipeline _plan recorded, fetched from the cache by digest', async () => {
    const source = `${TEST_PIPELINES}\nexport const unique = ${JSON.stringify(randomBytes(8).toString('hex'))};\n`;
    const ref = await stack.upload(writeRepo(source, PIPELINE_NAMES));
    const compiledLine = async (runId: string, nodeId: string) =>
      (await new LogsClient({ baseUrl: stack.logs.url, token: stack.adminToken }).read(runId, nodeId))
        .map((record) => record.msg)
        .find((msg) => msg.startsWith('compiled pipeline'));
    const deps = (home: string) => ({
      controller: new ControllerClient({ baseUrl: stack.controller.url, token: stack.runnerToken }),
      shipper: httpShipperFactory(stack.logs.url),
      home,
      runnerId: 'in-test',
      cacheUrl: stack.cache.url,
    });
    const planHome = tempDir('plan-home');
    const runId = (await stack.admin.trigger({ pipeline: 'quick', upload_ref: ref })).run_id;
    const plan = await stack.admin.claim({ runner_id: 'in-test', run_id: runId, wait_ms: 5_000 });
    expect((await executeClaim(plan!, deps(planHome))).outcome).toBe('success');
    const digest = (await stack.admin.getRun(runId)).run.bundle_digest;
    expect(digest).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(await compiledLine(runId, '_plan')).toMatch(
      new RegExp(`^compiled pipeline ${digest} \\(built in`),
    );
    // A job on another machine (empty home) takes that exact bundle from the cache.
    const job = await stack.admin.claim({ runner_id: 'in-test', run_id: runId, wait_ms: 5_000 });
    expect(job?.run.bundle_digest).toBe(digest);
    expect((await executeClaim(job!, deps(tempDir('job-home')))).outcome).toBe('success');
    expect(await compiledLine(runId, 'only')).toMatch(
      new RegExp(`^compiled pipeline ${digest} \\(remote cache`),
    );
    expect((await waitForRun(stack.admin, runId)).run.status).toBe('success');
  });

  it('masks secrets and their base64, hex and URL encodings in logs, the result tail and job outputs', async () => {
    const value = 'leak-5e6f7a8b9c0d';
    await stack.admin.putSecret('LEAK_TOKEN', value);
    await withRunner([], async () => {
      const runId = await trigger('leaky');
      const detail = await waitForRun(stack.admin, runId);
      expect(detail.run.status).toBe('success');
      const node = nodeOf(detail, 'leak');
      expect(node.output).toEqual({ token: '***', nested: [{ b64: '***' }], url: 'https://x.test/?t=***' });
      expect(node.result?.logs).toContain('hex ***');
      const logs = await new LogsClient({ baseUrl: stack.logs.url, token: stack.adminToken }).read(
        runId,
        'leak',
      );
      const everything = JSON.stringify([logs, node]);
      for (const leak of [
        value,
        Buffer.from(value).toString('base64').slice(0, 12),
        Buffer.from(`user:${value}`).toString('base64').slice(8, 20),
        Buffer.from(value).toString('hex'),
      ]) {
        expect(everything).not.toContain(leak);
      }
    });
  });

  it('kills the node and reports nothing when a lease renewal answers 409', async () => {
    const runId = await trigger('long');
    const plan = await stack.admin.claim({ runner_id: 'in-test', run_id: runId, wait_ms: 5_000 });
    const home = tempDir('lease-home');
    const deps = (fetchImpl?: FetchLike) => ({
      controller: new ControllerClient({
        baseUrl: stack.controller.url,
        token: stack.runnerToken,
        fetch: fetchImpl,
      }),
      shipper: httpShipperFactory(stack.logs.url),
      home,
      runnerId: 'in-test',
      cacheUrl: stack.cache.url,
    });
    expect((await executeClaim(plan!, deps())).outcome).toBe('success');
    const claim = await stack.admin.claim({ runner_id: 'in-test', run_id: runId, wait_ms: 5_000 });
    expect(claim?.node.id).toBe('wait');
    const conflict: FetchLike = (url, init) =>
      url.endsWith('/heartbeat')
        ? Promise.resolve(
            new Response(
              JSON.stringify({ error: { code: 'lease_lost', message: 'taken over', request_id: 'r' } }),
              {
                status: 409,
                headers: { 'content-type': 'application/json' },
              },
            ),
          )
        : fetch(url, init);
    const started = Date.now();
    const execution = await executeClaim(claim!, { ...deps(conflict), leaseRenewMs: 300 });
    expect(execution.outcome).toBe('lost');
    expect(Date.now() - started).toBeLessThan(30_000);
    const node = await stack.admin.getNode(runId, 'wait');
    expect(node.status).toBe('running');
    expect(node.result).toBeNull();
    await stack.admin.cancelRun(runId);
  });
});
