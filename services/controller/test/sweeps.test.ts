import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, claimOrThrow, errorOf, type Harness, harness, plannedRun } from './helpers.js';

let h: Harness;
afterEach(() => h?.close());

const MIN = 60_000;
const beat = (runnerId: string, labels: string[] = []) =>
  h.admin.runnerHeartbeat({ runner_id: runnerId, labels });

describe('sweeps', () => {
  it('fails the nodes of a runner silent past the heartbeat timeout with agent_lost', async () => {
    h = harness();
    const run = await plannedRun(h, [{ id: 'a' }, { id: 'b', needs: ['a'] }]);
    await beat('r1');
    const a = await claimOrThrow(h, { runner_id: 'r1' });
    await h.admin.startNode(run, 'a', a.lease.token);
    h.clock.advance(4 * MIN);
    expect(h.ctl.sweeper.runOnce()).toEqual({ agentLost: 0, leaseExpired: 0, queueTimedOut: 0 });
    expect((await h.admin.listRunners()).runners[0]).toMatchObject({ runner_id: 'r1', state: 'busy' });
    h.clock.advance(1.5 * MIN);
    expect(h.ctl.sweeper.runOnce()).toMatchObject({ agentLost: 1 });
    const node = await h.admin.getNode(run, 'a');
    expect(node.result).toMatchObject({ success: false, failure_reason: 'agent_lost' });
    expect(node.error).toContain('stopped heartbeating');
    const { run: ended, nodes } = await h.admin.getRun(run);
    expect(ended).toMatchObject({ status: 'failed', failure_reason: 'agent_lost' });
    expect(nodes.find((n) => n.id === 'b')!.status).toBe('skipped');
    expect((await errorOf(h.admin.finishNode(run, 'a', a.lease.token, { outcome: 'success' }))).code).toBe(
      'lease_lost',
    );
    expect((await h.admin.listRunners()).runners[0]).toMatchObject({ state: 'lost', current_nodes: [] });
    const metrics = await (await h.req('GET', '/metrics')).text();
    expect(metrics).toContain('sparkwing_recoveries_total{kind="agent_lost",service="controller"} 1');
  });

  it('forgets a runner that signs off cleanly, never while it holds a node', async () => {
    h = harness();
    const run = await plannedRun(h, [{ id: 'a' }]);
    await beat('r1');
    await beat('r2');
    const a = await claimOrThrow(h, { runner_id: 'r1' });
    const runner = h.client(h.token(['nodes.claim'], 'runner'));
    const busy = await errorOf(runner.removeRunner('r1'));
    expect(busy).toMatchObject({ status: 409, code: 'conflict' });
    expect(busy.message).toContain(`${run}/a`);
    expect(await runner.removeRunner('r2')).toEqual({ runner_id: 'r2', removed: true });
    expect(await runner.removeRunner('r2')).toEqual({ runner_id: 'r2', removed: false });
    const reader = h.client(h.token(['runs.read']));
    expect((await errorOf(reader.removeRunner('r1'))).message).toContain('nodes.claim');
    await h.admin.startNode(run, 'a', a.lease.token, { runner_id: 'r1' });
    await h.admin.finishNode(run, 'a', a.lease.token, { outcome: 'success' });
    expect(await runner.removeRunner('r1')).toEqual({ runner_id: 'r1', removed: true });
    h.clock.advance(10 * MIN);
    expect((await h.admin.listRunners()).runners).toEqual([]);
    const tooLong = await h.req('DELETE', `/api/v1/runners/${'x'.repeat(201)}`, { token: ADMIN });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
  });

  it('reclaims a lapsed lease of a live runner as runner_lease_expired and re-queues it', async () => {
    h = harness();
    const run = await plannedRun(h, [{ id: 'a', retries: 1 }]);
    await beat('r1');
    const a = await claimOrThrow(h, { runner_id: 'r1' });
    h.clock.advance(61_000);
    await beat('r1');
    expect(h.ctl.sweeper.runOnce()).toMatchObject({ leaseExpired: 1, agentLost: 0 });
    const node = await h.admin.getNode(run, 'a');
    expect(node).toMatchObject({ status: 'ready', attempt: 2 });
    expect(node.attempts[0]).toMatchObject({
      attempt: 1,
      status: 'failed',
      failure_reason: 'runner_lease_expired',
      runner_id: 'r1',
    });
    const late = await h.req('POST', `/api/v1/runs/${run}/nodes/a/finish`, {
      token: a.lease.token,
      body: { outcome: 'success' },
    });
    expect(late.status).toBe(409);
    const again = await claimOrThrow(h, { runner_id: 'r2' });
    expect(again.node.attempt).toBe(2);
    h.clock.advance(61_000);
    await beat('r2');
    h.ctl.sweeper.runOnce();
    const final = await h.admin.getNode(run, 'a');
    expect(final.result).toMatchObject({ failure_reason: 'runner_lease_expired' });
    expect(final.attempts).toHaveLength(2);
    const metrics = await (await h.req('GET', '/metrics')).text();
    expect(metrics).toContain(
      'sparkwing_nodes_requeued_total{reason="runner_lease_expired",service="controller"} 1',
    );
  });

  it('keeps nodes whose holder renews the lease, and gives unknown holders the startup grace', async () => {
    h = harness();
    const run = await plannedRun(h, [{ id: 'kept' }, { id: 'ghost' }]);
    const kept = await claimOrThrow(h, { runner_id: 'quiet' });
    await claimOrThrow(h, { runner_id: 'job-123' });
    let token = kept.lease.token;
    for (let i = 0; i < 4; i += 1) {
      h.clock.advance(50_000);
      token = (await h.admin.heartbeatNode(run, 'kept', token)).token;
      h.ctl.sweeper.runOnce();
    }
    expect((await h.admin.getNode(run, 'kept')).status).toBe('claimed');
    const ghost = await h.admin.getNode(run, 'ghost');
    expect(ghost.result).toMatchObject({ failure_reason: 'agent_lost' });
    expect(ghost.error).toContain('never heartbeated');
  });

  it('fails nodes nobody claims within the queue timeout, naming labels no live runner advertises', async () => {
    h = harness();
    const run = await plannedRun(h, [
      { id: 'gpu', requires: ['gpu', 'linux'] },
      { id: 'busy', requires: ['linux'] },
    ]);
    await beat('r1', ['linux']);
    const queue = await h.admin.queue();
    expect(queue.ready.map((e) => [e.node_id, e.satisfiable])).toEqual([
      ['gpu', false],
      ['busy', true],
    ]);
    expect(queue.unsatisfied_label_sets).toEqual([['gpu', 'linux']]);
    h.clock.advance(10 * MIN);
    await beat('r1', ['linux']);
    expect((await h.admin.queue()).oldest_wait_s).toBe(600);
    h.clock.advance(6 * MIN);
    await beat('r1', ['linux']);
    expect(h.ctl.sweeper.runOnce()).toMatchObject({ queueTimedOut: 2 });
    const gpu = await h.admin.getNode(run, 'gpu');
    expect(gpu.result?.failure_reason).toBe('queue_timeout');
    expect(gpu.error).toContain('"gpu", "linux"');
    expect(gpu.error).toContain('no live runner advertises them (unsatisfied: "gpu")');
    expect(gpu.attempts).toMatchObject([
      { attempt: 1, status: 'failed', failure_reason: 'queue_timeout', runner_id: null },
    ]);
    const busy = await h.admin.getNode(run, 'busy');
    expect(busy.error).toContain('which live runners advertise');
    expect((await h.admin.getRun(run)).run).toMatchObject({
      status: 'failed',
      failure_reason: 'queue_timeout',
    });
    expect((await h.admin.queue()).ready).toEqual([]);
  });

  it('reports runners with labels, state and current nodes, and recomputes gauges', async () => {
    h = harness();
    await h.admin.runnerHeartbeat({ runner_id: 'r1', labels: ['linux'], version: '1.2.3', capacity: 2 });
    await beat('r2', ['macos']);
    const run = await plannedRun(h, [{ id: 'a' }, { id: 'b' }]);
    await claimOrThrow(h, { runner_id: 'r1' });
    const { runners } = await h.admin.listRunners();
    expect(runners).toMatchObject([
      {
        runner_id: 'r1',
        labels: ['linux'],
        version: '1.2.3',
        capacity: 2,
        state: 'busy',
        current_nodes: [{ run_id: run, node_id: 'a' }],
      },
      { runner_id: 'r2', state: 'idle', current_nodes: [] },
    ]);
    h.clock.advance(30_000);
    expect(h.ctl.queue.refreshGauges()).toEqual({
      pendingNodes: 1,
      activeRunners: 2,
      oldestReadyAgeSeconds: 30,
    });
    const bad = await h.req('POST', '/api/v1/runners/heartbeat', {
      token: h.token(['nodes.claim']),
      body: { runner_id: 'r' },
    });
    expect(bad.status).toBe(400);
  });

  it('runs on its interval once started', async () => {
    h = harness({ sweepIntervalMs: 20, settings: { queueTimeoutMs: 1_000 } });
    const { run_id } = await h.admin.trigger({ pipeline: 'p' });
    h.clock.advance(2_000);
    h.ctl.sweeper.start();
    for (let i = 0; i < 100 && (await h.admin.getRun(run_id)).run.status !== 'failed'; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
    }
    h.ctl.sweeper.stop();
    expect((await h.admin.getRun(run_id)).run.failure_reason).toBe('queue_timeout');
  });
});
