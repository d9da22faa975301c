import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, claimOrThrow, errorOf, type Harness, harness, plannedRun } from './helpers.js';

let h: Harness;
afterEach(() => h?.close());

const statuses = async (runId: string) =>
  Object.fromEntries((await h.admin.getRun(runId)).nodes.map((n) => [n.id, n.status]));

describe('plan', () => {
  it('creates a queued run with a ready _plan node, then stores the DAG and queues root nodes', async () => {
    h = harness();
    const { run_id } = await h.admin.trigger({ pipeline: 'build', args: { target: 'x' } });
    const before = await h.admin.getRun(run_id);
    expect(before.run).toMatchObject({
      status: 'queued',
      pipeline: 'build',
      args: { target: 'x' },
      trigger: { kind: 'api' },
    });
    expect(before.nodes.map((n) => [n.id, n.status])).toEqual([['_plan', 'ready']]);
    const plan = await claimOrThrow(h, { runner_id: 'r1' });
    expect(plan.run.status).toBe('running');
    expect(plan.node).toMatchObject({ id: '_plan', status: 'claimed', runner_id: 'r1', attempt: 1 });
    const detail = await h.admin.plan(
      run_id,
      {
        nodes: [
          { id: 'a' },
          { id: 'b', needs: ['a'], requires: ['linux'], retries: 1, env: { K: 'v' } },
          { id: 'c' },
        ],
      },
      plan.lease.token,
    );
    expect(detail.nodes.map((n) => [n.id, n.status])).toEqual([
      ['_plan', 'claimed'],
      ['a', 'ready'],
      ['b', 'pending'],
      ['c', 'ready'],
    ]);
    expect(detail.nodes[2]).toMatchObject({ requires: ['linux'], retries: 1, env: { K: 'v' }, result: null });
    const again = await errorOf(h.admin.plan(run_id, { nodes: [{ id: 'z' }] }, plan.lease.token));
    expect(again).toMatchObject({ status: 409 });
  });

  it('rejects invalid plans naming the offenders', async () => {
    h = harness();
    const { run_id } = await h.admin.trigger({ pipeline: 'p' });
    const { lease } = await claimOrThrow(h, { runner_id: 'r1' });
    const cases: [unknown, string[]][] = [
      [{ nodes: [{ id: 'a' }, { id: 'a' }] }, ['duplicate node ids: a']],
      [{ nodes: [{ id: 'a', needs: ['ghost'] }] }, ['unknown needs: a needs ghost']],
      [
        {
          nodes: [
            { id: 'a', needs: ['c'] },
            { id: 'b', needs: ['a'] },
            { id: 'c', needs: ['b'] },
          ],
        },
        ['cycle: a -> c -> b -> a'],
      ],
      [{ nodes: [{ id: 'a' }, { id: '_plan' }] }, ['"_plan" is reserved']],
      [{ nodes: [{ id: '..' }] }, ['nodes.0.id']],
      [{ nodes: [{ id: 'a', bogus: 1 }] }, ['bogus']],
      [{ nodes: [] }, ['nodes']],
      [
        { nodes: [{ id: 'a', steps: [{ id: 's', needs: ['ghost'] }] }] },
        ['node a: unknown step needs: s needs ghost'],
      ],
      [{ nodes: [{ id: 'a', steps: [{ id: 's' }, { id: 's' }] }] }, ['node a: duplicate step ids: s']],
      [
        {
          nodes: [
            {
              id: 'a',
              steps: [
                { id: 's', needs: ['t'] },
                { id: 't', needs: ['s'] },
              ],
            },
          ],
        },
        ['node a: step cycle: s -> t -> s'],
      ],
      [{ nodes: [{ id: 'a', resources: { memory: 'lots' } }] }, ['node a: resources.memory', 'lots']],
      [{ nodes: [{ id: 'a', resources: { cpu: 'fast' } }] }, ['node a: resources.cpu']],
    ];
    for (const [body, fragments] of cases) {
      const res = await h.req('POST', `/api/v1/runs/${run_id}/plan`, { token: lease.token, body });
      expect(res.status).toBe(400);
      const message = (await res.json()).error.message as string;
      for (const fragment of fragments) expect(message).toContain(fragment);
    }
    const malformed = await h.req('POST', `/api/v1/runs/${run_id}/plan`, {
      token: lease.token,
      raw: '{"nodes": [',
    });
    expect(malformed.status).toBe(400);
    expect((await h.admin.getRun(run_id)).nodes).toHaveLength(1);
  });

  it('only accepts the plan from the _plan node token of that run', async () => {
    h = harness();
    const runA = await plannedRun(h, [{ id: 'x' }]);
    const x = await claimOrThrow(h, { runner_id: 'r1', run_id: runA });
    const res = await h.req('POST', `/api/v1/runs/${runA}/plan`, {
      token: x.lease.token,
      body: { nodes: [{ id: 'y' }] },
    });
    expect(res.status).toBe(403);
  });
});

describe('claims', () => {
  it('hands out the oldest ready node whose requirements the labels satisfy, never twice', async () => {
    h = harness();
    const run = await plannedRun(h, [
      { id: 'gpu', requires: ['gpu'] },
      { id: 'either', requires: ['linux,macos', 'arm64'] },
      { id: 'plain' },
    ]);
    expect(await h.admin.claim({ runner_id: 'r0', labels: ['linux'], run_id: 'other' })).toBeNull();
    const first = await claimOrThrow(h, { runner_id: 'r1', labels: ['macos', 'arm64'] });
    expect(first.node.id).toBe('either');
    const second = await claimOrThrow(h, { runner_id: 'r2', labels: ['linux'] });
    expect(second.node.id).toBe('plain');
    expect(await h.admin.claim({ runner_id: 'r3', labels: ['linux', 'arm64'] })).toBeNull();
    const gpu = await claimOrThrow(h, { runner_id: 'r4', labels: ['gpu'], run_id: run });
    expect(gpu.node).toMatchObject({ id: 'gpu', runner_id: 'r4', status: 'claimed' });
    expect(await h.admin.claim({ runner_id: 'r5', labels: ['gpu', 'linux', 'macos', 'arm64'] })).toBeNull();
  });

  it('validates claim bodies', async () => {
    h = harness();
    for (const body of [
      {},
      { runner_id: 'r', wait_ms: 31_000 },
      { runner_id: 'r', extra: true },
      { runner_id: '' },
    ]) {
      expect(
        (await h.req('POST', '/api/v1/nodes/claim', { token: h.token(['nodes.claim']), body })).status,
      ).toBe(400);
    }
    const huge = {
      runner_id: 'r',
      labels: Array.from({ length: 64 }, () => 'x'.repeat(256)),
      pad: 'y'.repeat(70_000),
    };
    expect(
      (await h.req('POST', '/api/v1/nodes/claim', { token: h.token(['nodes.claim']), body: huge })).status,
    ).toBe(413);
  });

  it('wakes a long-polling claimer as soon as a matching node becomes ready', async () => {
    h = harness();
    const waiting = h.admin.claim({ runner_id: 'w', labels: ['linux'], wait_ms: 20_000 });
    const other = h.admin.claim({ runner_id: 'w2', labels: ['windows'], wait_ms: 300 });
    await new Promise((r) => setTimeout(r, 20));
    const { run_id } = await h.admin.trigger({ pipeline: 'p' });
    const got = await waiting;
    expect(got?.node.id).toBe('_plan');
    expect(got?.run.id).toBe(run_id);
    expect(await other).toBeNull();
    const res = await h.req('POST', '/api/v1/nodes/claim', {
      token: h.token(['nodes.claim']),
      body: { runner_id: 'x', wait_ms: 10 },
    });
    expect(res.status).toBe(204);
  });
});

describe('node lifecycle and DAG', () => {
  it('runs a DAG to success with start, heartbeat, finish, outputs and results', async () => {
    h = harness();
    const run = await plannedRun(h, [{ id: 'a' }, { id: 'b', needs: ['a'] }]);
    const a = await claimOrThrow(h, { runner_id: 'r1' });
    const started = await h.admin.startNode(run, 'a', a.lease.token, { runner_id: 'r1' });
    expect(started.status).toBe('running');
    h.clock.advance(30_000);
    const beat = await h.admin.heartbeatNode(run, 'a', a.lease.token, { status_detail: 'compiling' });
    expect(beat.cancel_requested).toBe(false);
    expect(Date.parse(beat.lease_expires_at)).toBe(h.clock.now() + 60_000);
    expect(beat.token).not.toBe(a.lease.token);
    expect((await h.admin.getNode(run, 'a')).status_detail).toBe('compiling');
    h.clock.advance(40_000);
    expect((await errorOf(h.admin.heartbeatNode(run, 'a', a.lease.token))).code).toBe('lease_lost');
    const done = await h.admin.finishNode(run, 'a', beat.token, {
      outcome: 'success',
      logs_tail: 'ok\n',
      output: { v: 1 },
      exit_code: 0,
    });
    expect(done).toMatchObject({
      status: 'success',
      output: { v: 1 },
      result: { success: true, failure_reason: null, exit_code: 0, logs: 'ok\n' },
    });
    const repeat = await h.admin.finishNode(run, 'a', beat.token, { outcome: 'failed' });
    expect(repeat.status).toBe('success');
    expect(await statuses(run)).toMatchObject({ a: 'success', b: 'ready' });
    const b = await claimOrThrow(h, { runner_id: 'r2' });
    await h.admin.finishNode(run, 'b', b.lease.token, { outcome: 'success' });
    const detail = await h.admin.getRun(run);
    expect(detail.run).toMatchObject({ status: 'success', failure_reason: null });
    expect(detail.run.finished_at).not.toBeNull();
    expect(detail.nodes.find((n) => n.id === 'a')!.attempts).toMatchObject([
      { attempt: 1, runner_id: 'r1', status: 'success' },
    ]);
    expect((await h.admin.listPipelines()).pipelines).toMatchObject([
      { pipeline: 'demo', status: 'success', run_count: 1 },
    ]);
  });

  it('refuses lifecycle calls that do not fit the node state', async () => {
    h = harness();
    const run = await plannedRun(h, [{ id: 'a' }, { id: 'b', needs: ['a'] }]);
    const a = await claimOrThrow(h, { runner_id: 'r1' });
    expect((await h.admin.startNode(run, 'a', a.lease.token)).status).toBe('running');
    expect((await h.admin.startNode(run, 'a', a.lease.token)).status).toBe('running');
    const bad = await h.req('POST', `/api/v1/runs/${run}/nodes/a/finish`, {
      token: a.lease.token,
      body: { outcome: 'maybe' },
    });
    expect(bad.status).toBe(400);
    const extra = await h.req('POST', `/api/v1/runs/${run}/nodes/a/heartbeat`, {
      token: a.lease.token,
      body: { nope: 1 },
    });
    expect(extra.status).toBe(400);
    await h.admin.finishNode(run, 'a', a.lease.token, { outcome: 'success' });
    expect(await errorOf(h.admin.heartbeatNode(run, 'a', a.lease.token))).toMatchObject({
      status: 409,
      code: 'conflict',
    });
    expect(await errorOf(h.admin.startNode(run, 'a', a.lease.token))).toMatchObject({
      status: 409,
      code: 'conflict',
    });
    const forged = `${a.lease.token.slice(0, -4)}AAAA`;
    expect((await errorOf(h.admin.heartbeatNode(run, 'a', forged))).status).toBe(401);
    const missing = await h.req('POST', `/api/v1/runs/${run}/nodes/a/start`, { body: {} });
    expect(missing.status).toBe(401);
    expect((await h.admin.getNode(run, 'b')).status).toBe('ready');
  });

  it('skips dependents of a failed node and fails the run with the failure reason', async () => {
    h = harness();
    const run = await plannedRun(h, [
      { id: 'a' },
      { id: 'b', needs: ['a'] },
      { id: 'c', needs: ['b'] },
      { id: 'd' },
    ]);
    const a = await claimOrThrow(h, { runner_id: 'r1' });
    const failed = await h.admin.finishNode(run, 'a', a.lease.token, {
      outcome: 'failed',
      failure_reason: 'oom_killed',
      exit_code: 137,
      error: 'killed',
      logs_tail: 'Killed',
    });
    expect(failed.result).toEqual({
      success: false,
      failure_reason: 'oom_killed',
      exit_code: 137,
      logs: 'Killed',
    });
    expect(await statuses(run)).toMatchObject({ a: 'failed', b: 'skipped', c: 'skipped', d: 'ready' });
    const skipped = await h.admin.getNode(run, 'c');
    expect(skipped.result).toMatchObject({ success: false });
    expect(skipped.result?.logs).toContain('needs "b"');
    const d = await claimOrThrow(h, { runner_id: 'r1' });
    await h.admin.finishNode(run, 'd', d.lease.token, { outcome: 'success' });
    const { run: ended } = await h.admin.getRun(run);
    expect(ended).toMatchObject({ status: 'failed', failure_reason: 'oom_killed' });
    expect(ended.error).toContain('node "a" failed');
    expect((await h.admin.listPipelines()).pipelines[0]).toMatchObject({
      status: 'failed',
      failure_reason: 'oom_killed',
    });
  });

  it('re-queues a failed node with retries left, keeping every attempt visible', async () => {
    h = harness();
    const run = await plannedRun(h, [{ id: 'flaky', retries: 2 }]);
    const first = await claimOrThrow(h, { runner_id: 'r1' });
    const afterFirst = await h.admin.finishNode(run, 'flaky', first.lease.token, {
      outcome: 'failed',
      exit_code: 1,
      error: 'boom',
    });
    expect(afterFirst).toMatchObject({ status: 'ready', attempt: 2, runner_id: null });
    expect((await errorOf(h.admin.heartbeatNode(run, 'flaky', first.lease.token))).code).toBe('lease_lost');
    expect(
      (await errorOf(h.admin.finishNode(run, 'flaky', first.lease.token, { outcome: 'success' }))).status,
    ).toBe(409);
    const second = await claimOrThrow(h, { runner_id: 'r2' });
    expect(second.node.attempt).toBe(2);
    const done = await h.admin.finishNode(run, 'flaky', second.lease.token, { outcome: 'success' });
    expect(done.attempts).toMatchObject([
      { attempt: 1, runner_id: 'r1', status: 'failed', exit_code: 1, error: 'boom' },
      { attempt: 2, runner_id: 'r2', status: 'success' },
    ]);
    expect((await h.admin.getRun(run)).run.status).toBe('success');
  });

  it('cancels a run: waiting nodes at once, running nodes through their heartbeat and finish', async () => {
    h = harness();
    const run = await plannedRun(h, [{ id: 'a' }, { id: 'b' }, { id: 'c', needs: ['a'] }]);
    const a = await claimOrThrow(h, { runner_id: 'r1' });
    await h.admin.startNode(run, 'a', a.lease.token);
    const { run: cancelling } = await h.admin.cancelRun(run);
    expect(cancelling).toMatchObject({ status: 'running', cancel_requested: true });
    expect(await statuses(run)).toMatchObject({ a: 'running', b: 'cancelled', c: 'cancelled' });
    expect((await h.admin.heartbeatNode(run, 'a', a.lease.token)).cancel_requested).toBe(true);
    await h.admin.finishNode(run, 'a', a.lease.token, { outcome: 'failed', error: 'interrupted' });
    const { run: ended } = await h.admin.getRun(run);
    expect(ended.status).toBe('cancelled');
    expect((await h.admin.cancelRun(run)).run.status).toBe('cancelled');
    expect((await errorOf(h.admin.cancelRun('run_missing'))).status).toBe(404);
  });

  it('retries a finished run as a new run with the same inputs', async () => {
    h = harness();
    const { run_id } = await h.admin.trigger({
      pipeline: 'p',
      args: { a: '1' },
      git: { repo_url: 'https://example.invalid/r.git', branch: 'main' },
      upload_ref: 'up1',
    });
    expect((await errorOf(h.admin.retryRun(run_id))).status).toBe(409);
    await h.admin.cancelRun(run_id);
    const { run_id: again } = await h.admin.retryRun(run_id);
    expect(again).not.toBe(run_id);
    const { run } = await h.admin.getRun(again);
    expect(run).toMatchObject({
      pipeline: 'p',
      args: { a: '1' },
      upload_ref: 'up1',
      retry_of: run_id,
      trigger: { kind: 'retry' },
      status: 'queued',
    });
    expect(run.git).toEqual({ repo_url: 'https://example.invalid/r.git', branch: 'main' });
  });

  it('stores and returns node metrics oldest first, only from the node token', async () => {
    h = harness();
    const run = await plannedRun(h, [{ id: 'a' }]);
    const a = await claimOrThrow(h, { runner_id: 'r1' });
    await h.admin.postMetrics(run, 'a', a.lease.token, [
      { ts: '2026-04-12T10:00:02Z', cpu_millicores: 1200, memory_bytes: 1073741824 },
      { ts: '2026-04-12T10:00:00Z', cpu_millicores: 450, memory_bytes: 536870912 },
    ]);
    expect(await h.admin.getMetrics(run, 'a')).toEqual({
      points: [
        { ts: '2026-04-12T10:00:00.000Z', cpu_millicores: 450, memory_bytes: 536870912 },
        { ts: '2026-04-12T10:00:02.000Z', cpu_millicores: 1200, memory_bytes: 1073741824 },
      ],
    });
    const bad = await h.req('POST', `/api/v1/runs/${run}/nodes/a/metrics`, {
      token: a.lease.token,
      body: { points: [{ ts: 'x', cpu_millicores: -1, memory_bytes: 1 }] },
    });
    expect(bad.status).toBe(400);
    expect((await errorOf(h.admin.getMetrics(run, 'nope'))).status).toBe(404);
    // A token nobody issued is unauthenticated, on node routes too.
    expect((await errorOf(h.admin.postMetrics(run, 'a', 'swt_x', []))).status).toBe(401);
    expect((await errorOf(h.admin.postMetrics(run, 'a', ADMIN, []))).status).toBe(403);
  });
});

describe('runs API', () => {
  it('is idempotent per pipeline and key, and refuses local_path unless allowed', async () => {
    h = harness();
    const one = await h.admin.trigger({ pipeline: 'p', idempotency_key: 'k1' });
    expect((await h.admin.trigger({ pipeline: 'p', idempotency_key: 'k1' })).run_id).toBe(one.run_id);
    expect((await h.admin.trigger({ pipeline: 'q', idempotency_key: 'k1' })).run_id).not.toBe(one.run_id);
    const local = await errorOf(h.admin.trigger({ pipeline: 'p', local_path: '/src' }));
    expect(local).toMatchObject({ status: 400 });
    expect(local.message).toContain('local_path');
    h.close();
    h = harness({ allowLocalPath: true, localActor: 'ada' });
    const { run_id } = await h.admin.trigger({ pipeline: 'p', local_path: '/src' });
    expect((await h.admin.getRun(run_id)).run).toMatchObject({
      local_path: '/src',
      trigger: { kind: 'local', actor: 'ada' },
    });
    // Only local triggers name the local user; an API trigger names its token.
    const api = await h.admin.trigger({ pipeline: 'p' });
    expect((await h.admin.getRun(api.run_id)).run.trigger).toMatchObject({
      kind: 'api',
      actor: 'admin (seed)',
    });
  });

  it('rejects unknown fields, bad JSON and oversized bodies', async () => {
    h = harness();
    const token = h.token(['runs.write']);
    const unknown = await h.req('POST', '/api/v1/triggers', {
      token,
      body: { pipeline: 'p', colour: 'red' },
    });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error.message).toContain('colour');
    expect((await h.req('POST', '/api/v1/triggers', { token, raw: 'not json' })).status).toBe(400);
    const big = await h.req('POST', '/api/v1/triggers', {
      token,
      body: { pipeline: 'p', args: { a: 'x'.repeat(2 * 1024 * 1024) } },
    });
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('payload_too_large');
  });

  it('lists runs newest first with filters and cursor pagination, gets and deletes them', async () => {
    h = harness();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      h.clock.advance(1_000);
      ids.push((await h.admin.trigger({ pipeline: i % 2 === 0 ? 'even' : 'odd' })).run_id);
    }
    const page1 = await h.admin.listRuns({ limit: 2 });
    expect(page1.runs.map((r) => r.id)).toEqual([ids[4], ids[3]]);
    const page2 = await h.admin.listRuns({ limit: 2, cursor: page1.next_cursor! });
    expect(page2.runs.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    const page3 = await h.admin.listRuns({ limit: 2, cursor: page2.next_cursor! });
    expect(page3).toMatchObject({ next_cursor: null });
    expect((await h.admin.listRuns({ pipeline: 'odd' })).runs.map((r) => r.id)).toEqual([ids[3], ids[1]]);
    expect((await h.admin.listRuns({ status: 'success' })).runs).toHaveLength(0);
    expect((await h.req('GET', '/api/v1/runs?limit=0', { token: h.token(['runs.read']) })).status).toBe(400);
    expect((await h.req('GET', '/api/v1/runs?status=bogus', { token: h.token(['runs.read']) })).status).toBe(
      400,
    );
    expect((await errorOf(h.admin.getRun('run_missing'))).status).toBe(404);
    expect((await h.req('GET', '/api/v1/runs/bad..id', { token: h.token(['runs.read']) })).status).toBe(400);
    expect((await errorOf(h.admin.getNode(ids[0]!, 'nope'))).status).toBe(404);
    await h.admin.deleteRun(ids[0]!);
    expect((await errorOf(h.admin.getRun(ids[0]!))).status).toBe(404);
    expect((await errorOf(h.admin.deleteRun(ids[0]!))).status).toBe(404);
    expect((await h.admin.listPipelines()).pipelines.map((p) => [p.pipeline, p.run_count])).toEqual([
      ['even', 2],
      ['odd', 2],
    ]);
  });
});
