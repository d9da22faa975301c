import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebApp } from '../src/app.js';
import { SseReader, WebClient } from './helpers/http.js';
import { type Stack, startStack } from './helpers/processes.js';
import { appendLogs, claim, plannedRun, type Seeder, seeder, startNode, userToken } from './helpers/seed.js';

let stack: Stack;
let seed: Seeder;
let fullToken: string;

beforeAll(async () => {
  stack = await startStack();
  seed = seeder(stack.controller.url, stack.logs.url, stack.adminToken);
  fullToken = await userToken(seed, 'dev', ['runs.read', 'runs.write', 'logs.read']);
});
afterAll(async () => {
  await stack?.stop();
});

describe('web server', () => {
  it('answers health and serves its own metric families', async () => {
    const health = await fetch(`${stack.web.url}/api/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', mode: 'cluster' });
    const text = await (await fetch(`${stack.web.url}/metrics`)).text();
    for (const family of [
      'sparkwing_web_static_requests_total',
      'sparkwing_web_proxy_requests_total',
      'sparkwing_web_proxy_request_duration_seconds',
      'sparkwing_web_active_sse_proxies',
      'sparkwing_http_requests_total',
    ]) {
      expect(text).toContain(`# TYPE ${family}`);
    }
  });

  it('serves the browser app for page URLs with a strict CSP', async () => {
    const page = await fetch(`${stack.web.url}/runs/run_x/nodes/build`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${stack.web.url}${asset}`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${stack.web.url}/no/such/page`)).status).toBe(404);
    const metrics = await (await fetch(`${stack.web.url}/metrics`)).text();
    expect(metrics).toMatch(
      /sparkwing_http_requests_total\{route="\/runs\/:id\/nodes\/:node",method="GET",status="200"/,
    );
    expect(metrics).toMatch(/sparkwing_web_static_requests_total\{kind="asset",status="200"/);
  });

  it('refuses the API without a session and does not expose internal routes', async () => {
    const client = new WebClient(stack.web.url);
    const runs = await client.fetch('/api/v1/runs');
    expect(runs.status).toBe(401);
    expect(((await runs.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect((await client.signIn(fullToken)).status).toBe(200);
    expect((await client.fetch('/api/v1/tokens')).status).toBe(404);
    expect((await client.fetch('/api/v1/runs/..%2Fx')).status).toBe(400);
  });

  it('rejects a wrong token at sign-in and sets no cookie', async () => {
    const client = new WebClient(stack.web.url);
    const response = await client.signIn('swu_not-a-real-token-at-all');
    expect(response.status).toBe(401);
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('signs in with an HttpOnly SameSite=Strict cookie and relays with the person’s token', async () => {
    const client = new WebClient(stack.web.url);
    const response = await client.signIn(fullToken);
    const cookie = response.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ authenticated: true, scopes: ['runs.read', 'runs.write', 'logs.read'] });
    expect(JSON.stringify(body)).not.toContain(fullToken);
    expect((await client.fetch('/api/v1/runs')).status).toBe(200);
    const first = client.cookie;
    await client.signIn(fullToken);
    expect(client.cookie).not.toBe(first);
    expect((await fetch(`${stack.web.url}/api/v1/runs`, { headers: { cookie: first! } })).status).toBe(401);
  });

  it('passes a 403 through when the person lacks the scope', async () => {
    const token = await userToken(seed, 'logs-only', ['logs.read']);
    const client = new WebClient(stack.web.url);
    expect((await client.signIn(token)).status).toBe(200);
    const runs = await client.fetch('/api/v1/runs');
    expect(runs.status).toBe(403);
    expect(((await runs.json()) as { error: { code: string } }).error.code).toBe('forbidden');
  });

  it('needs the CSRF token to cancel, then cancels', async () => {
    const runId = await plannedRun(seed, 'csrf-check', [{ id: 'work' }]);
    const client = new WebClient(stack.web.url);
    await client.signIn(fullToken);
    const forged = await client.fetch(`/api/v1/runs/${runId}/cancel`, { method: 'POST' });
    expect(forged.status).toBe(403);
    const wrong = await client.fetch(`/api/v1/runs/${runId}/cancel`, {
      method: 'POST',
      headers: { 'x-csrf-token': 'nope' },
    });
    expect(wrong.status).toBe(403);
    const ok = await client.fetch(`/api/v1/runs/${runId}/cancel`, {
      method: 'POST',
      headers: { 'x-csrf-token': client.csrf! },
    });
    expect(ok.status).toBe(200);
    const detail = (await (await client.fetch(`/api/v1/runs/${runId}`)).json()) as {
      run: { cancel_requested: boolean };
    };
    expect(detail.run.cancel_requested).toBe(true);
  });

  it('signs out only with the CSRF token and the session is gone afterwards', async () => {
    const client = new WebClient(stack.web.url);
    await client.signIn(fullToken);
    const kept = client.cookie;
    expect((await client.fetch('/api/session', { method: 'DELETE' })).status).toBe(403);
    expect(
      (await client.fetch('/api/session', { method: 'DELETE', headers: { 'x-csrf-token': client.csrf! } }))
        .status,
    ).toBe(204);
    client.cookie = kept;
    expect((await client.fetch('/api/v1/runs')).status).toBe(401);
    expect(await (await client.fetch('/api/session')).json()).toMatchObject({ authenticated: false });
  });

  it('ends a session at its expiry', async () => {
    let now = Date.now();
    const { app } = createWebApp({
      mode: 'cluster',
      controllerUrl: stack.controller.url,
      logsUrl: stack.logs.url,
      sessionSecret: 'e'.repeat(32),
      sessionTtlMs: 60_000,
      now: () => now,
    });
    const signIn = await app.request('/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: fullToken }),
    });
    expect(signIn.headers.get('set-cookie')).toMatch(/Max-Age=60/);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    expect((await app.request('/api/v1/runs', { headers: { cookie } })).status).toBe(200);
    now += 59_000;
    expect((await app.request('/api/v1/runs', { headers: { cookie } })).status).toBe(200);
    now += 2_000;
    expect((await app.request('/api/v1/runs', { headers: { cookie } })).status).toBe(401);
    expect(await (await app.request('/api/session', { headers: { cookie } })).json()).toMatchObject({
      authenticated: false,
    });
  });

  it('answers 502 when an upstream is unreachable and counts it', async () => {
    const { app, deps } = createWebApp({
      mode: 'local',
      controllerUrl: 'http://127.0.0.1:9',
      logsUrl: 'http://127.0.0.1:9',
      localToken: 'local-token',
    });
    const response = await app.request('/api/v1/runs');
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('bad_gateway');
    expect(await deps.metrics.registry.metrics()).toMatch(
      /sparkwing_web_proxy_requests_total\{upstream="controller",status="0"[^}]*\} 1/,
    );
    expect(await (await app.request('/api/health')).json()).toMatchObject({
      status: 'degraded',
      reasons: ['controller unreachable'],
    });
  });

  it('in local mode needs no sign-in, still guards cancel with CSRF and refuses retry', async () => {
    const { app } = createWebApp({
      mode: 'local',
      controllerUrl: stack.controller.url,
      logsUrl: stack.logs.url,
      localToken: stack.adminToken,
    });
    const session = (await (await app.request('/api/session')).json()) as {
      authenticated: boolean;
      mode: string;
      csrf_token: string;
    };
    expect(session).toMatchObject({ authenticated: true, mode: 'local' });
    expect((await app.request('/api/v1/runs')).status).toBe(200);
    const signIn = await app.request('/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: fullToken }),
    });
    expect(signIn.status).toBe(400);
    const runId = await plannedRun(seed, 'local-check', [{ id: 'work' }]);
    expect((await app.request(`/api/v1/runs/${runId}/cancel`, { method: 'POST' })).status).toBe(403);
    const csrf = { 'x-csrf-token': session.csrf_token };
    expect((await app.request(`/api/v1/runs/${runId}/retry`, { method: 'POST', headers: csrf })).status).toBe(
      400,
    );
    expect(
      (await app.request(`/api/v1/runs/${runId}/cancel`, { method: 'POST', headers: csrf })).status,
    ).toBe(200);
  });

  it('relays log streams unbuffered and resumes after Last-Event-ID without duplicates', async () => {
    const runId = await plannedRun(seed, 'stream-check', [{ id: 'tail' }]);
    const node = await claim(seed, runId);
    await startNode(seed, node);
    await appendLogs(seed, node, ['one', 'two', 'three']);
    const client = new WebClient(stack.web.url);
    await client.signIn(fullToken);

    const first = await client.fetch(`/api/v1/logs/${runId}/tail/stream`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(first.headers.get('content-type')).toContain('text/event-stream');
    const live = new SseReader(first);
    expect(await live.read(3)).toEqual([1, 2, 3]);
    const gauge = await (await fetch(`${stack.web.url}/metrics`)).text();
    expect(gauge).toMatch(/sparkwing_web_active_sse_proxies\{[^}]*upstream="logs"[^}]*\} 1/);
    await appendLogs(seed, node, ['four']);
    expect(await live.read(1)).toEqual([4]);
    await live.cancel();

    await appendLogs(seed, node, ['five', 'done'], true);
    const resumed = new SseReader(
      await client.fetch(`/api/v1/logs/${runId}/tail/stream`, { headers: { 'last-event-id': '3' } }),
    );
    expect(await resumed.read(10)).toEqual([4, 5, 6]);
    expect(resumed.ended).toBe(true);
    await expect
      .poll(
        async () =>
          (await (await fetch(`${stack.web.url}/metrics`)).text()).match(
            /sparkwing_web_active_sse_proxies\{[^}]*\} (\d+)/,
          )?.[1],
      )
      .toBe('0');
  });
});
