import { afterEach, describe, expect, it } from 'vitest';
import type { NodeReadyEvent, RunCancelledEvent } from '../src/index.js';
import { claimOrThrow, errorOf, type Harness, harness, plannedRun } from './helpers.js';

let h: Harness;
afterEach(() => h?.close());

describe('QueueService (dispatcher surface)', () => {
  it('lists ready nodes, claims a specific one for a holder exactly once, and publishes events', async () => {
    h = harness();
    const ready: NodeReadyEvent[] = [];
    const cancelled: RunCancelledEvent[] = [];
    const offReady = h.ctl.queue.on('nodeReady', (e) => ready.push(e));
    h.ctl.queue.on('runCancelled', (e) => cancelled.push(e));
    const run = await plannedRun(h, [
      { id: 'a', requires: ['linux'], resources: { cpu: '500m', memory: '256Mi' } },
      { id: 'b' },
    ]);
    expect(ready.map((e) => e.nodeId)).toEqual(['_plan', 'a', 'b']);
    expect(ready[1]).toMatchObject({ runId: run, attempt: 1, requires: ['linux'] });
    const listed = h.ctl.queue.listReadyNodes();
    expect(listed.map((n) => n.nodeId)).toEqual(['a', 'b']);
    expect(listed[0]).toMatchObject({
      pipeline: 'demo',
      resources: { cpu: '500m', memory: '256Mi' },
      attempt: 1,
    });
    const lease = h.ctl.queue.claimNode(run, 'a', 'job-a');
    expect(lease?.node).toMatchObject({ status: 'claimed', runner_id: 'job-a' });
    expect(h.ctl.queue.claimNode(run, 'a', 'job-other')).toBeNull();
    expect(h.ctl.queue.listActiveNodes()).toMatchObject([
      { runId: run, nodeId: 'a', attempt: 1, status: 'claimed', runnerId: 'job-a' },
    ]);
    offReady();
    h.ctl.queue.cancelRun(run);
    expect(cancelled).toEqual([
      { runId: run, activeNodes: [{ nodeId: 'a', attempt: 1, runnerId: 'job-a' }] },
    ]);
  });

  it('fails an attempt idempotently (first terminal write wins) and re-queues with retries', async () => {
    h = harness();
    const run = await plannedRun(h, [
      { id: 'a', retries: 1 },
      { id: 'b', needs: ['a'] },
    ]);
    const first = h.ctl.queue.claimNode(run, 'a', 'job-1')!;
    const failure = { failure_reason: 'oom_killed' as const, exit_code: 137, error: 'OOMKilled' };
    expect(h.ctl.queue.failNode(run, 'a', 1, failure)).toBe(true);
    expect(h.ctl.queue.failNode(run, 'a', 1, failure)).toBe(false);
    expect(
      (await errorOf(h.admin.finishNode(run, 'a', first.lease.token, { outcome: 'success' }))).code,
    ).toBe('lease_lost');
    h.ctl.queue.claimNode(run, 'a', 'job-2');
    expect(h.ctl.queue.failNode(run, 'a', 2, failure)).toBe(true);
    const node = await h.admin.getNode(run, 'a');
    expect(node).toMatchObject({
      status: 'failed',
      result: { failure_reason: 'oom_killed', exit_code: 137 },
    });
    expect(node.attempts.map((a) => a.failure_reason)).toEqual(['oom_killed', 'oom_killed']);
    expect((await h.admin.getNode(run, 'b')).status).toBe('skipped');
    expect(h.ctl.queue.failNode(run, 'a', 2, failure)).toBe(false);
  });

  it('sets status detail, stores a death log once and renews leases only for the current attempt', async () => {
    h = harness();
    const run = await plannedRun(h, [{ id: 'a' }]);
    const claim = h.ctl.queue.claimNode(run, 'a', 'job-1')!;
    expect(h.ctl.queue.setStatusDetail(run, 'a', 'ImagePullBackOff')).toBe(true);
    expect((await h.admin.getNode(run, 'a')).status_detail).toBe('ImagePullBackOff');
    h.clock.advance(50_000);
    const renewed = h.ctl.queue.renewLease(run, 'a', 1, 120_000);
    expect(renewed).toBe(h.clock.now() + 120_000);
    expect(h.ctl.queue.renewLease(run, 'a', 2)).toBeNull();
    h.clock.advance(70_000);
    h.ctl.sweeper.runOnce();
    expect((await h.admin.getNode(run, 'a')).status).toBe('claimed');
    expect(h.ctl.queue.storeDeathLog(run, 'a', 'panic: out of cheese\n')).toBe(true);
    expect(h.ctl.queue.storeDeathLog(run, 'a', 'second')).toBe(false);
    h.ctl.queue.failNode(run, 'a', 1, { failure_reason: 'agent_lost', error: 'pod vanished' });
    const node = await h.admin.getNode(run, 'a');
    expect(node).toMatchObject({ death_log: 'panic: out of cheese\n', status: 'failed' });
    expect(h.ctl.queue.setStatusDetail(run, 'a', 'late')).toBe(false);
    expect(h.ctl.queue.renewLease(run, 'a', 1)).toBeNull();
    expect(claim.lease.token).toMatch(/^swn\./);
  });

  it('claims through the node token flow with run_id restriction for local mode', async () => {
    h = harness({ allowLocalPath: true });
    const other = await plannedRun(h, [{ id: 'x' }]);
    const { run_id } = await h.admin.trigger({ pipeline: 'local', local_path: '/work/repo' });
    const plan = await claimOrThrow(h, { runner_id: 'local', run_id });
    expect(plan.run.id).toBe(run_id);
    expect(await h.admin.claim({ runner_id: 'local', run_id })).toBeNull();
    expect((await claimOrThrow(h, { runner_id: 'any' })).run.id).toBe(other);
  });
});
