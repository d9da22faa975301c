import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, type Harness, harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.close());

async function claimedPlan() {
  const { run_id } = await h.admin.trigger({ pipeline: 'hardening' });
  const claimed = await h.admin.claim({ runner_id: 'r', run_id });
  return { runId: run_id, token: claimed!.lease.token };
}

describe('controller hardening', () => {
  it('answers 401 to an unknown token on a node route and 403 to a valid API token', async () => {
    h = harness();
    const { runId } = await claimedPlan();
    const path = `/api/v1/runs/${runId}/nodes/_plan/heartbeat`;
    const unknown = await h.req('POST', path, { token: 'swt_nobody-issued-this', body: {} });
    expect(unknown.status).toBe(401);
    expect((await unknown.json()).error.code).toBe('unauthorized');
    expect((await h.req('POST', path, { token: ADMIN, body: {} })).status).toBe(403);
  });

  it('refuses an output nested 5,000 deep with 400 and leaves the node claimed to finish properly', async () => {
    h = harness();
    const { runId, token } = await claimedPlan();
    const deep = `{"outcome":"success","output":${'['.repeat(5_000)}1${']'.repeat(5_000)}}`;
    const res = await h.req('POST', `/api/v1/runs/${runId}/nodes/_plan/finish`, {
      token,
      raw: deep,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toContain('deeper than 32');
    const big = await h.req('POST', `/api/v1/runs/${runId}/nodes/_plan/finish`, {
      token,
      body: { outcome: 'success', output: { blob: 'x'.repeat(300 * 1024) } },
    });
    expect(big.status).toBe(400);
    expect((await h.admin.getNode(runId, '_plan')).status).toBe('claimed');
    const ok = await h.req('POST', `/api/v1/runs/${runId}/nodes/_plan/finish`, {
      token,
      body: { outcome: 'success', output: { a: [[{ b: 1 }]] } },
    });
    expect(ok.status).toBe(200);
  });

  it('refuses JSON sent as text/plain or a form with 415, changing nothing', async () => {
    h = harness();
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await h.req('POST', '/api/v1/triggers', {
        token: ADMIN,
        raw: JSON.stringify({ pipeline: 'csrf' }),
        headers: { 'content-type': type },
      });
      expect(res.status).toBe(415);
      expect((await res.json()).error.request_id).toBeTruthy();
    }
    expect((await h.admin.listRuns()).runs).toHaveLength(0);
  });

  it('refuses a chunked body past the limit while streaming and a declared one before authentication', async () => {
    h = harness();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        if (pulled > 200) controller.close();
        else controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const res = await h.ctl.app.request('http://controller.test/api/v1/triggers', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    // Stopped within the limit plus the bounded discard, far from the 12.5 MiB offered.
    expect(pulled).toBeLessThan(60);
    const declared = await h.req('POST', '/api/v1/nodes/claim', {
      headers: { 'content-length': String(64 * 1024 * 1024), 'content-type': 'application/json' },
      raw: '{}',
    });
    expect(declared.status).toBe(413);
  });
});
