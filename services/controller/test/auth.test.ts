import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, errorOf, type Harness, harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.close());

describe('health and metrics', () => {
  it('serves health with version and peer urls, and Prometheus text without auth', async () => {
    h = harness({ cacheUrl: 'http://127.0.0.1:8090', logsUrl: 'http://127.0.0.1:8091' });
    const health = await h.client().health();
    expect(health).toMatchObject({
      status: 'ok',
      version: '0.1.0',
      cache_url: 'http://127.0.0.1:8090',
      logs_url: 'http://127.0.0.1:8091',
    });
    await h.admin.trigger({ pipeline: 'p' });
    const metrics = await (await h.req('GET', '/api/v1/metrics')).text();
    for (const family of [
      'sparkwing_runs_total',
      'sparkwing_run_duration_seconds',
      'sparkwing_nodes_claimed_total',
      'sparkwing_pending_nodes',
      'sparkwing_active_runners',
      'sparkwing_http_requests_total',
      'sparkwing_http_request_duration_seconds',
      'sparkwing_nodes_enqueued_total',
      'sparkwing_node_claims_total',
      'sparkwing_node_queue_wait_seconds',
      'sparkwing_node_queue_to_running_seconds',
      'sparkwing_nodes_completed_total',
      'sparkwing_nodes_requeued_total',
      'sparkwing_claim_request_duration_seconds',
      'sparkwing_webhook_deliveries_total',
      'sparkwing_recoveries_total',
      'sparkwing_oldest_ready_node_age_seconds',
    ]) {
      expect(metrics).toContain(`# TYPE ${family} `);
    }
    expect(metrics).toContain('sparkwing_pending_nodes{service="controller"} 1');
    expect(metrics).toMatch(
      /sparkwing_http_requests_total\{route="\/api\/v1\/triggers",method="POST",status="202"/,
    );
    expect(metrics).not.toMatch(/run_0/);
    expect((await h.req('GET', '/metrics')).status).toBe(200);
  });

  it('answers unknown routes with the error envelope', async () => {
    h = harness();
    const res = await h.req('GET', '/api/v1/nope');
    expect(res.status).toBe(404);
    expect((await res.json()).error).toMatchObject({ code: 'not_found' });
  });
});

describe('bearer tokens and scopes', () => {
  it('rejects a missing, malformed or unknown bearer with 401', async () => {
    h = harness();
    expect((await h.req('GET', '/api/v1/runs')).status).toBe(401);
    expect((await h.req('GET', '/api/v1/runs', { headers: { authorization: 'Basic abc' } })).status).toBe(
      401,
    );
    const unknown = await h.req('GET', '/api/v1/runs', { token: 'swt_not-a-real-token' });
    expect(unknown.status).toBe(401);
    expect((await unknown.json()).error.message).toContain('unknown or revoked');
  });

  it('answers 403 naming the missing scope', async () => {
    h = harness();
    const reader = h.client(h.token(['runs.read']));
    const denied = await errorOf(reader.trigger({ pipeline: 'p' }));
    expect(denied).toMatchObject({ status: 403, code: 'forbidden' });
    expect(denied.message).toContain('missing scope runs.write');
    expect(denied.message).toContain('has: runs.read');
    const runner = h.client(h.token(['nodes.claim'], 'runner'));
    expect((await errorOf(runner.listRuns())).message).toContain('runs.read');
    expect((await errorOf(runner.listTokens())).message).toContain('missing scope admin');
    expect((await errorOf(reader.claim({ runner_id: 'r' }))).message).toContain('nodes.claim');
    expect((await errorOf(reader.deleteRun('run_x'))).message).toContain('admin');
    expect(await runner.claim({ runner_id: 'r' })).toBeNull();
  });

  it('shows a created token once, stores only its hash, lists and revokes it', async () => {
    h = harness();
    const created = await h.admin.createToken({ name: 'ci', kind: 'runner', scopes: ['nodes.claim'] });
    expect(created.token).toMatch(/^swt_/);
    expect(created.prefix).toBe(created.token.slice(0, 12));
    const list = await h.admin.listTokens();
    const listed = list.tokens.find((t) => t.name === 'ci')!;
    expect(listed).not.toHaveProperty('token');
    expect(JSON.stringify(list)).not.toContain(created.token);
    const db = new Database(h.ctl.dbPath, { readonly: true });
    const rows = db.prepare('select * from tokens').all();
    db.close();
    expect(JSON.stringify(rows)).not.toContain(created.token);
    expect(JSON.stringify(rows)).toContain(
      (await import('node:crypto')).createHash('sha256').update(created.token).digest('hex'),
    );
    const intro = await h.client(created.token).introspect();
    expect(intro).toMatchObject({
      active: true,
      scopes: ['nodes.claim'],
      principal: { kind: 'runner', name: 'ci' },
    });
    await h.admin.deleteToken(created.prefix);
    expect((await errorOf(h.client(created.token).introspect())).status).toBe(401);
    expect((await errorOf(h.admin.deleteToken(created.prefix))).status).toBe(404);
    expect((await errorOf(h.admin.createToken({ name: 'x', kind: 'user', scopes: [] }))).status).toBe(400);
    const bad = await h.req('POST', '/api/v1/tokens', {
      token: ADMIN,
      body: { name: 'x', kind: 'user', scopes: ['root'] },
    });
    expect(bad.status).toBe(400);
    expect((await h.req('DELETE', '/api/v1/tokens/..', { token: ADMIN })).status).toBeGreaterThanOrEqual(400);
  });

  it('introspects node tokens with run, node and expiry', async () => {
    h = harness();
    const { run_id } = await h.admin.trigger({ pipeline: 'p' });
    const claimed = (await h.admin.claim({ runner_id: 'r1' }))!;
    const intro = await h.client(claimed.lease.token).introspect();
    expect(intro.principal).toMatchObject({ kind: 'node', run_id, node_id: '_plan' });
    expect(intro.expires_at).toBe(Date.parse(claimed.lease.expires_at));
    h.clock.advance(61_000);
    expect((await errorOf(h.client(claimed.lease.token).introspect())).status).toBe(401);
    expect((await errorOf(h.client('swn.forged.sig').introspect())).status).toBe(401);
  });

  it('refuses node tokens on API routes and API tokens on node routes', async () => {
    h = harness();
    const { run_id } = await h.admin.trigger({ pipeline: 'p' });
    const claimed = (await h.admin.claim({ runner_id: 'r1' }))!;
    const asNode = await errorOf(h.client(claimed.lease.token).listRuns());
    expect(asNode).toMatchObject({ status: 403 });
    expect(asNode.message).toContain('node tokens cannot call');
    const asApi = await errorOf(h.admin.startNode(run_id, '_plan', ADMIN));
    expect(asApi.status).toBe(403);
    const wrongNode = await errorOf(h.admin.startNode(run_id, 'other', claimed.lease.token));
    expect(wrongNode.status).toBe(403);
  });
});

describe('admin token bootstrap', () => {
  it('generates an admin token into <data dir>/admin-token with mode 0600 and reuses it', async () => {
    h = harness({ adminToken: undefined });
    const file = join(h.dir, 'admin-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = readFileSync(file, 'utf8').trim();
    expect(h.ctl.adminToken).toBe(token);
    expect((await h.client(token).introspect()).scopes).toEqual(['admin']);
    const { createController } = await import('../src/index.js');
    const again = createController({ dataDir: h.dir });
    expect(again.adminToken).toBe(token);
    expect(again.tokens.list().filter((t) => t.scopes.includes('admin'))).toHaveLength(1);
    again.close();
  });

  it('stores a seed runner token that can claim but not read runs or trigger, narrowing an old one', async () => {
    const runnerToken = 'swt_seed-runner-token-0123456789';
    h = harness({ runnerToken });
    const runner = h.client(runnerToken);
    expect((await runner.introspect()).scopes).toEqual(['nodes.claim']);
    await expect(runner.claim({ runner_id: 'r1', wait_ms: 0 })).resolves.toBeNull();
    expect((await errorOf(runner.listRuns())).status).toBe(403);
    const denied = await errorOf(runner.trigger({ pipeline: 'demo' }));
    expect(denied.status).toBe(403);
    const { createController } = await import('../src/index.js');
    // A seed stored by an older version with runs.read is narrowed at the next start.
    const old = 'swt_old-seed-runner-token-012345';
    h.ctl.tokens.create({ name: 'runner (seed)', kind: 'runner', scopes: ['nodes.claim', 'runs.read'] }, old);
    const again = createController({ dataDir: h.dir, runnerToken });
    expect(again.tokens.list().filter((t) => t.kind === 'runner')).toHaveLength(2);
    again.close();
    const upgraded = createController({ dataDir: h.dir, runnerToken: old });
    expect(upgraded.tokens.verify(old)?.scopes).toEqual(['nodes.claim']);
    upgraded.close();
  });
});
