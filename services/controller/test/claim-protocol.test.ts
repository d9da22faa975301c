import { CLAIM_TOKEN_HEADER, CONTROLLER_PROTOCOL } from '@sparkwing/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { errorOf, type Harness, harness, plannedRun } from './helpers.js';

let h: Harness;
afterEach(() => h?.close());

const finishPath = (runId: string, nodeId: string) => `/api/v1/runs/${runId}/nodes/${nodeId}/finish`;

describe('claim protocol 2 (claim that starts, finish that claims the next node)', () => {
  it('reports protocol 2 on /health', async () => {
    h = harness();
    expect((await h.admin.health()).protocol).toBe(CONTROLLER_PROTOCOL);
    expect(CONTROLLER_PROTOCOL).toBe(2);
  });

  it('a claim with start answers the node running, with the attempt started; start stays harmless', async () => {
    h = harness();
    const run = await plannedRun(h, [{ id: 'a' }]);
    const runner = h.client(h.token(['nodes.claim'], 'runner'));
    const got = await runner.claim({ runner_id: 'r1', start: true });
    expect(got?.node).toMatchObject({ id: 'a', status: 'running', runner_id: 'r1' });
    expect(got?.node.started_at).toBe(got?.node.claimed_at);
    expect(got?.node.attempts).toMatchObject([{ attempt: 1, status: 'running', runner_id: 'r1' }]);
    const stored = await h.admin.getNode(run, 'a');
    expect(stored).toMatchObject({ status: 'running', started_at: got?.node.started_at });
    // An old runner would still call start: it changes nothing.
    h.clock.advance(1_000);
    const started = await runner.startNode(run, 'a', got!.lease.token, { runner_id: 'r1' });
    expect(started).toMatchObject({ status: 'running', started_at: got?.node.started_at });
    const text = await (await h.req('GET', '/api/v1/metrics')).text();
    expect(text).toMatch(/sparkwing_node_queue_to_running_seconds_count(\{[^}]*\})? 1\b/);
  });

  it('a finish with next records the result and hands back the next claim, long-polling for one', async () => {
    h = harness();
    const runnerToken = h.token(['nodes.claim'], 'runner');
    const runner = h.client(runnerToken);
    const run = await plannedRun(h, [{ id: 'a' }, { id: 'b', needs: ['a'] }]);
    const a = await runner.claim({ runner_id: 'r1', start: true });
    const doneA = await runner.finishNode(run, 'a', a!.lease.token, {
      outcome: 'success',
      next: { runner_id: 'r1', start: true },
    });
    expect(doneA).toMatchObject({ id: 'a', status: 'success' });
    // `b` became ready when `a` succeeded, in the same call.
    expect(doneA.next_claim?.node).toMatchObject({ id: 'b', status: 'running', runner_id: 'r1' });
    const b = doneA.next_claim!;
    // Nothing else is ready: the chained claim long-polls, and wakes when a new run's _plan is queued.
    const pending = runner.finishNode(run, 'b', b.lease.token, {
      outcome: 'success',
      next: { runner_id: 'r1', wait_ms: 5_000 },
    });
    await new Promise((r) => setTimeout(r, 30));
    expect((await h.admin.getRun(run)).run.status).toBe('success');
    const { run_id: second } = await h.admin.trigger({ pipeline: 'later' });
    const doneB = await pending;
    expect(doneB).toMatchObject({ id: 'b', status: 'success' });
    expect(doneB.next_claim).toMatchObject({ run: { id: second }, node: { id: '_plan', status: 'claimed' } });
    // With nothing ready and no wait, next_claim is null; without next, the answer has no next_claim.
    const plan = doneB.next_claim!;
    const empty = await runner.finishNode(second, '_plan', plan.lease.token, {
      outcome: 'success',
      next: { runner_id: 'r1' },
    });
    expect(empty).toMatchObject({ id: '_plan', status: 'success', next_claim: null });
    const text = await (await h.req('GET', '/api/v1/metrics')).text();
    expect(text).toMatch(/sparkwing_node_claims_total\{[^}]*outcome="claimed"[^}]*\} 4\b/);
    expect(text).toMatch(/sparkwing_node_claims_total\{[^}]*outcome="empty"[^}]*\} 1\b/);
  });

  it('a finish with next needs a runner token with nodes.claim, and a refused one changes nothing', async () => {
    h = harness();
    const run = await plannedRun(h, [{ id: 'a' }, { id: 'b' }]);
    const got = await h.admin.claim({ runner_id: 'r1', run_id: run });
    const body = { outcome: 'success', next: { runner_id: 'r1' } };
    const missing = await h.req('POST', finishPath(run, got!.node.id), { token: got!.lease.token, body });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({
      error: { code: 'unauthorized', message: expect.stringContaining(CLAIM_TOKEN_HEADER) },
    });
    // A node token is no claim credential (pipeline code holds it).
    const asNode = await h.req('POST', finishPath(run, got!.node.id), {
      token: got!.lease.token,
      body,
      headers: { [CLAIM_TOKEN_HEADER]: got!.lease.token },
    });
    expect(asNode.status).toBe(403);
    const readOnly = await h.req('POST', finishPath(run, got!.node.id), {
      token: got!.lease.token,
      body,
      headers: { [CLAIM_TOKEN_HEADER]: h.token(['runs.read']) },
    });
    expect(readOnly.status).toBe(403);
    expect(await readOnly.json()).toMatchObject({
      error: { message: expect.stringContaining('nodes.claim') },
    });
    // Nothing was written and nothing claimed.
    const detail = await h.admin.getRun(run);
    expect(detail.nodes.find((n) => n.id === got!.node.id)?.status).toBe('claimed');
    expect(detail.nodes.filter((n) => n.status === 'ready')).toHaveLength(1);
  });

  it('a finish with next under a lost lease is 409 and claims nothing', async () => {
    h = harness();
    const runner = h.client(h.token(['nodes.claim'], 'runner'));
    const run = await plannedRun(h, [{ id: 'a', retries: 1 }, { id: 'b' }]);
    const a = await runner.claim({ runner_id: 'r1', run_id: run });
    expect(a?.node.id).toBe('a');
    expect(h.ctl.queue.failNode(run, 'a', 1, { failure_reason: 'agent_lost' })).toBe(true);
    const lost = await errorOf(
      runner.finishNode(run, 'a', a!.lease.token, { outcome: 'success', next: { runner_id: 'r1' } }),
    );
    expect(lost).toMatchObject({ status: 409, code: 'lease_lost' });
    const ready = (await h.admin.getRun(run)).nodes.filter((n) => n.status === 'ready').map((n) => n.id);
    expect(ready.sort()).toEqual(['a', 'b']);
  });
});
