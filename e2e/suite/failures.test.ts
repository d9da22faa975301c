import { join } from 'node:path';
import { FAILURE_REASON_HELP } from '@sparkwing/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cli,
  gitCopy,
  metricValue,
  nodeLog,
  nodeOf,
  nodeRunning,
  scrape,
  triggerFixture,
  until,
  waitForRun,
} from './lib/helpers.js';
import { repoPath } from './lib/procs.js';
import { type Stack, startStack } from './lib/stack.js';

// Scenarios 3 and 4: failure reasons decided across processes, retries, drain.
describe('failure classification, retries and drain across processes', () => {
  let stack: Stack;
  let env: Record<string, string>;

  beforeAll(async () => {
    stack = await startStack({
      controllerEnv: {
        SPARKWING_QUEUE_TIMEOUT: '4s',
        SPARKWING_LEASE_DURATION: '3s',
        SPARKWING_RUNNER_HEARTBEAT_TIMEOUT: '7s',
        SPARKWING_RUNNER_STARTUP_GRACE: '7s',
      },
    });
    env = { SPARKWING_CONFIG_DIR: join(stack.dir, 'config'), SPARKWING_HOME: join(stack.dir, 'cli-home') };
    const added = await cli(
      ['profile', 'add', 'e2e', '--url', stack.urls.controller, '--token', stack.adminToken],
      stack.dir,
      env,
    );
    expect(added.code, added.stderr).toBe(0);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const completed = (text: string, labels: Record<string, string>) =>
    metricValue(text, 'sparkwing_nodes_completed_total', labels);

  it('3: plain failure (dependent skipped), timeout, verify and a retried node; the CLI explains each and exits 1', async () => {
    const before = await scrape(`${stack.urls.controller}/metrics`);
    const repo = join(stack.dir, 'scenarios');
    await gitCopy(repoPath('e2e/suite/fixtures/scenarios'), repo);
    const marker = join(stack.dir, 'flaky-marker');
    const result = await cli(
      ['pipeline', 'trigger', 'failures', '--arg', `marker=${marker}`, '--follow-logs'],
      repo,
      env,
    );
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/run failed/);
    expect(result.stdout).toContain(`reason: timeout (${FAILURE_REASON_HELP.timeout.title})`);
    expect(result.stdout).toContain(`what to do: ${FAILURE_REASON_HELP.verify.action}`);
    expect(result.stdout).toContain('✗ broken (exit code 3)');
    expect(result.stdout).toContain('about to fail');
    // Live logs follow the retried node into its second attempt.
    expect(result.stdout).toMatch(/flaky\s+│ first attempt fails/);
    expect(result.stdout).toMatch(/flaky\s+│ second attempt passes/);
    const runId = /(run_[a-z0-9]+)/.exec(result.stdout)![1]!;

    const detail = await stack.controller.getRun(runId);
    expect(detail.run.status).toBe('failed');
    const broken = nodeOf(detail, 'broken');
    expect(broken).toMatchObject({
      status: 'failed',
      result: { success: false, failure_reason: null, exit_code: 3 },
    });
    expect(nodeOf(detail, 'after-broken').status).toBe('skipped');
    expect(nodeOf(detail, 'too-slow')).toMatchObject({
      status: 'failed',
      result: { failure_reason: 'timeout' },
    });
    expect(nodeOf(detail, 'unverified')).toMatchObject({
      status: 'failed',
      result: { failure_reason: 'verify' },
    });
    const flaky = nodeOf(detail, 'flaky');
    expect(flaky).toMatchObject({ status: 'success', attempt: 2 });
    expect(flaky.attempts.map((attempt) => attempt.status)).toEqual(['failed', 'success']);
    expect(await nodeLog(stack.logs, runId, 'broken')).toContain('about to fail');
    expect(await nodeLog(stack.logs, runId, 'too-slow')).toContain('sleeping past the timeout');
    expect(await nodeLog(stack.logs, runId, 'flaky')).toContain('second attempt passes');

    // --follow on a finished run with a skipped node (which never writes a final record) still returns.
    const followed = await cli(['runs', 'logs', runId, '--follow', '--profile', 'e2e'], repo, env);
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toMatch(/broken\s+│ about to fail/);
    expect(followed.stdout).toMatch(/flaky\s+│ second attempt passes/);

    const errors = await cli(['runs', 'errors', runId, '--profile', 'e2e', '-o', 'json'], repo, env);
    expect(errors.code, errors.stderr).toBe(0);
    const failed = JSON.parse(errors.stdout).failed as Array<{
      node_id: string;
      failure_reason: string | null;
      exit_code: number | null;
    }>;
    expect(failed.map((item) => [item.node_id, item.failure_reason]).sort()).toEqual([
      ['broken', null],
      ['too-slow', 'timeout'],
      ['unverified', 'verify'],
    ]);

    const after = await scrape(`${stack.urls.controller}/metrics`);
    expect(
      completed(after, { failure_reason: 'timeout' }) - completed(before, { failure_reason: 'timeout' }),
    ).toBe(1);
    expect(
      completed(after, { failure_reason: 'verify' }) - completed(before, { failure_reason: 'verify' }),
    ).toBe(1);
    expect(
      metricValue(after, 'sparkwing_nodes_requeued_total') -
        metricValue(before, 'sparkwing_nodes_requeued_total'),
    ).toBe(1);
    expect(
      metricValue(after, 'sparkwing_runs_total', { pipeline: 'failures', status: 'failed' }) -
        metricValue(before, 'sparkwing_runs_total', { pipeline: 'failures', status: 'failed' }),
    ).toBe(1);
  });

  it('3: queue_timeout names the label no runner advertises', async () => {
    const before = await scrape(`${stack.urls.controller}/metrics`);
    const runId = await triggerFixture(stack, 'unclaimable');
    const detail = await waitForRun(stack.controller, runId);
    expect(detail.run).toMatchObject({ status: 'failed', failure_reason: 'queue_timeout' });
    const node = nodeOf(detail, 'gpu-only');
    expect(node).toMatchObject({
      status: 'failed',
      runner_id: null,
      result: { failure_reason: 'queue_timeout' },
    });
    expect(node.error).toContain('gpu');
    const after = await scrape(`${stack.urls.controller}/metrics`);
    expect(
      completed(after, { failure_reason: 'queue_timeout' }) -
        completed(before, { failure_reason: 'queue_timeout' }),
    ).toBe(1);
  });

  it('3: oom_killed when a job exceeds its memory limit', async () => {
    const before = await scrape(`${stack.urls.controller}/metrics`);
    const runId = await triggerFixture(stack, 'oom');
    const detail = await waitForRun(stack.controller, runId);
    expect(nodeOf(detail, 'hog')).toMatchObject({
      status: 'failed',
      result: { failure_reason: 'oom_killed', exit_code: 137 },
    });
    expect(await nodeLog(stack.logs, runId, 'hog')).toMatch(/memory limit 64Mi/);
    const after = await scrape(`${stack.urls.controller}/metrics`);
    expect(
      completed(after, { failure_reason: 'oom_killed' }) -
        completed(before, { failure_reason: 'oom_killed' }),
    ).toBe(1);
  });

  it('4: a SIGTERMed runner finishes its node and claims nothing new', async () => {
    const slowId = await triggerFixture(stack, 'slow', { seconds: '10' });
    const running = await nodeRunning(stack.controller, slowId, 'work');
    const busy = stack.runners.get(running.runner_id!)!;
    expect(busy).toBeDefined();
    const claimedBefore = metricValue(await scrape(busy.metricsUrl), 'sparkwing_runner_claims_total', {
      outcome: 'claimed',
    });
    busy.proc.kill('SIGTERM');
    await until('the draining runner to report unhealthy', async () => {
      const response = await fetch(busy.metricsUrl.replace('/metrics', '/healthz')).catch(() => null);
      return response?.status === 503 ? true : undefined;
    });
    const quickIds = [
      await triggerFixture(stack, 'quick', { word: 'one' }),
      await triggerFixture(stack, 'quick', { word: 'two' }),
    ];
    for (const id of quickIds) {
      const detail = await waitForRun(stack.controller, id);
      expect(detail.run.status).toBe('success');
      for (const node of detail.nodes) expect(node.runner_id).not.toBe(busy.id);
    }
    // Still draining its node: its own counter shows it claimed nothing since SIGTERM.
    const claimedAfter = metricValue(await scrape(busy.metricsUrl), 'sparkwing_runner_claims_total', {
      outcome: 'claimed',
    });
    expect(claimedAfter).toBe(claimedBefore);
    const slow = await waitForRun(stack.controller, slowId);
    expect(slow.run.status).toBe('success');
    expect(nodeOf(slow, 'work').runner_id).toBe(busy.id);
    expect(await nodeLog(stack.logs, slowId, 'work')).toContain('work finished');
    expect(await busy.proc.exit).toBe(0);
    stack.runners.delete(busy.id);
    await stack.startRunner('runner-c', ['linux']);
  });

  it('runs cancel stops a running node; runs retry starts the same code again', async () => {
    const runId = await triggerFixture(stack, 'slow', { seconds: '30' });
    await nodeRunning(stack.controller, runId, 'work');
    const cancelled = await cli(['runs', 'cancel', runId, '--profile', 'e2e'], stack.dir, env);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const detail = await waitForRun(stack.controller, runId);
    expect(detail.run.status).toBe('cancelled');
    expect(['cancelled', 'failed']).toContain(nodeOf(detail, 'work').status);

    const quickId = await triggerFixture(stack, 'quick', { word: 'again' });
    expect((await waitForRun(stack.controller, quickId)).run.status).toBe('success');
    const retried = await cli(['runs', 'retry', quickId, '--profile', 'e2e', '-o', 'json'], stack.dir, env);
    expect(retried.code, retried.stderr).toBe(0);
    const retryId = JSON.parse(retried.stdout).run_id as string;
    const retry = await waitForRun(stack.controller, retryId);
    expect(retry.run).toMatchObject({
      status: 'success',
      retry_of: quickId,
      upload_ref: detail.run.upload_ref,
    });
    expect(await nodeLog(stack.logs, retryId, 'hello')).toContain('quick says again');
    const logs = await cli(['runs', 'logs', retryId, '--node', 'hello', '--profile', 'e2e'], stack.dir, env);
    expect(logs.stdout).toContain('quick says again');
  });

  it('3: agent_lost when a runner is SIGKILLed mid-node', async () => {
    const before = await scrape(`${stack.urls.controller}/metrics`);
    const runId = await triggerFixture(stack, 'slow', { seconds: '30' });
    const running = await nodeRunning(stack.controller, runId, 'work');
    const victim = stack.runners.get(running.runner_id!)!;
    await until('the node to log its first line', async () =>
      (await nodeLog(stack.logs, runId, 'work')).includes('work started') ? true : undefined,
    );
    victim.proc.kill('SIGKILL');
    stack.runners.delete(victim.id);
    const detail = await waitForRun(stack.controller, runId);
    expect(detail.run).toMatchObject({ status: 'failed', failure_reason: 'agent_lost' });
    expect(nodeOf(detail, 'work')).toMatchObject({
      status: 'failed',
      result: { failure_reason: 'agent_lost' },
    });
    expect(await nodeLog(stack.logs, runId, 'work')).toContain('work started');
    const after = await scrape(`${stack.urls.controller}/metrics`);
    expect(
      completed(after, { failure_reason: 'agent_lost' }) -
        completed(before, { failure_reason: 'agent_lost' }),
    ).toBe(1);
  });
});
