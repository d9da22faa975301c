import type { ClaimResponse } from '@sparkwing/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.close());

describe('claim queue at 20,000 nodes', () => {
  it('64 long-polling claimers drain 20,000 nodes through claim+start and chained claims, each exactly once', async () => {
    h = harness();
    const q = h.ctl.queue;
    const RUNS = 10;
    const PER_RUN = 2_000;
    const claimed = new Map<string, string>();
    let doubles = 0;
    let done = false;
    const claimer = async (i: number) => {
      const filter = { runnerId: `c${i}`, labels: [], start: true };
      let got: ClaimResponse | null = null;
      while (!done) {
        got ??= await q.claimWait(filter, 200);
        if (!got) continue;
        const key = `${got.run.id}/${got.node.id}#${got.node.attempt}`;
        if (claimed.has(key)) doubles += 1;
        claimed.set(key, filter.runnerId);
        expect(got.node.status).toBe('running');
        if (got.node.id === '_plan') {
          const nodes = Array.from({ length: PER_RUN }, (_, n) => ({ id: `n${n}` }));
          q.postPlan(got.run.id, got.node.attempt, nodes);
        }
        q.finishNode(got.run.id, got.node.id, got.node.attempt, { outcome: 'success' });
        // What a finish with `next` does: the runner's next claim right after its result.
        got = q.claim(filter);
        // Let the other claimers (and their long polls) interleave with this one.
        await new Promise((r) => setImmediate(r));
      }
    };
    const claimers = Array.from({ length: 64 }, (_, i) => claimer(i));
    const runIds: string[] = [];
    for (let r = 0; r < RUNS; r += 1) runIds.push((await h.admin.trigger({ pipeline: `load-${r}` })).run_id);
    const total = RUNS * (PER_RUN + 1);
    const deadline = Date.now() + 150_000;
    while (claimed.size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    done = true;
    await Promise.all(claimers);
    expect(doubles).toBe(0);
    expect(claimed.size).toBe(total);
    for (const runId of runIds) {
      const detail = await h.admin.getRun(runId);
      expect(detail.run.status).toBe('success');
      expect(detail.nodes.every((n) => n.status === 'success' && n.attempts.length === 1)).toBe(true);
    }
    const text = await (await h.req('GET', '/api/v1/metrics')).text();
    expect(text).toMatch(new RegExp(`sparkwing_nodes_claimed_total(\\{[^}]*\\})? ${total}\\b`));
  }, 180_000);
});
