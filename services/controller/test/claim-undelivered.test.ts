import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, type Harness, harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.close());

/** A claim request whose client goes away the moment its body has been sent. */
function claimThenHangUp(runId: string) {
  const aborter = new AbortController();
  const bytes = new TextEncoder().encode(JSON.stringify({ runner_id: 'gone', run_id: runId }));
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(bytes);
      controller.close();
      aborter.abort();
    },
  });
  return h.ctl.app.request('http://controller.test/api/v1/nodes/claim', {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body,
    signal: aborter.signal,
    duplex: 'half',
  } as RequestInit);
}

describe('a claim whose long-poll client has gone', () => {
  it('goes back to the queue in the same step, keeping its place and attempt', async () => {
    h = harness();
    const { run_id } = await h.admin.trigger({ pipeline: 'demo' });
    const before = (await h.admin.getRun(run_id)).nodes.find((n) => n.id === '_plan')!;

    const response = await claimThenHangUp(run_id);
    expect(response.status).toBe(204);

    const node = (await h.admin.getRun(run_id)).nodes.find((n) => n.id === '_plan')!;
    expect(node.status).toBe('ready');
    expect(node.attempt).toBe(before.attempt);
    expect(node.attempts).toEqual([]);
    expect(node.runner_id ?? null).toBeNull();

    const claimed = await h.admin.claim({ runner_id: 'alive', run_id });
    expect(claimed?.node.id).toBe('_plan');
    expect(claimed?.node.attempt).toBe(before.attempt);
    expect(claimed?.node.attempts.map((a) => a.runner_id)).toEqual(['alive']);

    const metrics = await h.ctl.metrics.registry.metrics();
    expect(metrics).toMatch(/sparkwing_recoveries_total\{kind="claim_undelivered"[^}]*\} 1/);
  });

  it('leaves a claim alone once its holder has moved on', async () => {
    h = harness();
    const { run_id } = await h.admin.trigger({ pipeline: 'demo' });
    const claimed = await h.admin.claim({ runner_id: 'alive', run_id });
    await h.admin.startNode(run_id, '_plan', claimed!.lease.token, { runner_id: 'alive' });
    expect(
      h.ctl.queue.returnClaim({
        runId: run_id,
        nodeId: '_plan',
        attempt: claimed!.node.attempt,
        holder: 'alive',
      }),
    ).toBe(false);
    expect((await h.admin.getRun(run_id)).nodes.find((n) => n.id === '_plan')!.status).toBe('running');
  });
});
