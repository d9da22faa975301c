import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientError, ControllerClient } from '@sparkwing/client';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningController, startController } from './process-helpers.js';

const ADMIN = 'swt_process-test-admin-token-0001';
let running: RunningController | undefined;
let dir: string | undefined;

afterEach(async () => {
  await running?.kill();
  running = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function tempDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'sparkwing-controller-proc-'));
  return dir;
}

describe('controller process', () => {
  it('refuses bad configuration with a readable message', async () => {
    await expect(
      startController({ SPARKWING_DATA_DIR: tempDir(), SPARKWING_LEASE_DURATION: 'soon' }),
    ).rejects.toThrow(/SPARKWING_LEASE_DURATION: invalid duration "soon"/);
  });

  it('drains 1,000 nodes with 32 concurrent long-polling claimers over HTTP, each node claimed exactly once', async () => {
    running = await startController({ SPARKWING_DATA_DIR: tempDir(), SPARKWING_ADMIN_TOKEN: ADMIN });
    const admin = new ControllerClient({ baseUrl: running.url, token: ADMIN });
    const RUNS = 4;
    const PER_RUN = 250;
    const claimed: string[] = [];
    let done = false;
    const claimer = async (i: number) => {
      const client = new ControllerClient({ baseUrl: running!.url, token: ADMIN });
      while (!done) {
        const got = await client.claim({ runner_id: `claimer-${i}`, wait_ms: 500 });
        if (!got) continue;
        claimed.push(`${got.run.id}/${got.node.id}`);
        if (got.node.id === '_plan') {
          const nodes = Array.from({ length: PER_RUN }, (_, n) => ({ id: `n${n}` }));
          await client.plan(got.run.id, { nodes }, got.lease.token);
          await client.finishNode(got.run.id, got.node.id, got.lease.token, { outcome: 'success' });
        }
      }
    };
    const claimers = Array.from({ length: 32 }, (_, i) => claimer(i));
    const runIds: string[] = [];
    for (let r = 0; r < RUNS; r += 1) runIds.push((await admin.trigger({ pipeline: `load-${r}` })).run_id);
    while (claimed.length < RUNS * (PER_RUN + 1)) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 600));
    done = true;
    await Promise.all(claimers);
    expect(claimed).toHaveLength(RUNS * (PER_RUN + 1));
    expect(new Set(claimed).size).toBe(claimed.length);
    for (const runId of runIds) {
      const detail = await admin.getRun(runId);
      expect(detail.nodes).toHaveLength(PER_RUN + 1);
      expect(detail.nodes.filter((n) => n.status !== 'claimed').map((n) => [n.id, n.status])).toEqual([
        ['_plan', 'success'],
      ]);
      expect(detail.nodes.every((n) => n.attempts.length === 1)).toBe(true);
    }
    expect((await admin.queue()).ready).toEqual([]);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toContain(`sparkwing_nodes_claimed_total{service="controller"} ${RUNS * (PER_RUN + 1)}`);
  });

  it('survives SIGKILL mid-flight: acknowledged writes persist and leases and sweeps continue', {
    timeout: 90_000,
  }, async () => {
    const env = {
      SPARKWING_DATA_DIR: tempDir(),
      SPARKWING_ADMIN_TOKEN: ADMIN,
      SPARKWING_LEASE_DURATION: '15s',
      SPARKWING_RUNNER_STARTUP_GRACE: '1s',
      SPARKWING_SWEEP_INTERVAL: '200ms',
    };
    running = await startController(env);
    let admin = new ControllerClient({ baseUrl: running.url, token: ADMIN });
    const { run_id } = await admin.trigger({ pipeline: 'crash' });
    const plan = (await admin.claim({ runner_id: 'keeper', run_id }))!;
    await admin.plan(run_id, { nodes: [{ id: 'kept' }, { id: 'ghost' }] }, plan.lease.token);
    await admin.finishNode(run_id, '_plan', plan.lease.token, { outcome: 'success' });
    const kept = (await admin.claim({ runner_id: 'keeper', run_id }))!;
    await admin.startNode(run_id, kept.node.id, kept.lease.token);
    const ghost = (await admin.claim({ runner_id: 'ghost-runner', run_id }))!;
    expect([kept.node.id, ghost.node.id].sort()).toEqual(['ghost', 'kept']);
    const keptId = kept.node.id;
    const ghostId = ghost.node.id;

    // The keeper renews its lease throughout, across the crash and restart (unreachable meanwhile).
    let token = kept.lease.token;
    let keeping = true;
    const keeper = (async () => {
      while (keeping) {
        try {
          token = (await admin.heartbeatNode(run_id, keptId, token)).token;
        } catch (error) {
          if (!(error instanceof ClientError) || error.status !== 0) throw error;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    const acknowledged: string[] = [];
    const burst = Array.from({ length: 300 }, (_, i) =>
      admin
        .trigger({ pipeline: 'burst', idempotency_key: `k${i}` })
        .then((r) => acknowledged.push(r.run_id))
        .catch((error: unknown) => {
          if (!(error instanceof ClientError) || error.status !== 0) throw error;
        }),
    );
    while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 5));
    await running.kill();
    await Promise.all(burst);
    const before = acknowledged.length;
    expect(before).toBeGreaterThanOrEqual(40);

    running = await startController(env);
    admin = new ControllerClient({ baseUrl: running.url, token: ADMIN });
    const { runs } = await admin.listRuns({ pipeline: 'burst', limit: 500 });
    const stored = new Set(runs.map((r) => r.id));
    for (const id of acknowledged.slice(0, before)) expect(stored.has(id)).toBe(true);

    let ghostNode = await admin.getNode(run_id, ghostId);
    for (let i = 0; i < 400 && ghostNode.status !== 'failed'; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      ghostNode = await admin.getNode(run_id, ghostId);
    }
    keeping = false;
    await keeper;
    expect(ghostNode.result?.failure_reason).toBe('agent_lost');
    expect((await admin.getNode(run_id, keptId)).status).toBe('running');
    await admin.finishNode(run_id, keptId, token, { outcome: 'success' });
    expect((await admin.getRun(run_id)).run).toMatchObject({
      status: 'failed',
      failure_reason: 'agent_lost',
    });
  });
});
