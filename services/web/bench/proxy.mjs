// Proxy overhead of the dashboard server: the same controller read and the same log stream fetched
// directly and through the web service. Starts real controller, logs and web processes on 127.0.0.1.
// Run after building controller, logs and web: node services/web/bench/proxy.mjs
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../../..');
const REQUESTS = 500;
const LOG_LINES = 20_000;

function start(entry, env) {
  const child = spawn(process.execPath, [join(ROOT, entry)], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((ok, fail) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const parsed = JSON.parse(line);
        if (parsed.msg === 'listening') ok({ child, url: `http://127.0.0.1:${parsed.port}` });
      } catch {}
    });
    child.once('exit', (code) => fail(new Error(`${entry} exited ${code}`)));
  });
}

async function json(url, init = {}) {
  const response = await fetch(url, init);
  if (!response.ok)
    throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timeRequests(label, url, headers) {
  const times = [];
  for (let i = 0; i < REQUESTS; i += 1) {
    const t = performance.now();
    const response = await fetch(url, { headers });
    await response.arrayBuffer();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(34)} p50 ${percentile(times, 50).toFixed(2)} ms  p95 ${percentile(times, 95).toFixed(2)} ms  (${REQUESTS} sequential)`,
  );
  return percentile(times, 50);
}

async function timeStream(label, url, headers) {
  const t = performance.now();
  const response = await fetch(url, { headers });
  const text = await response.text();
  const ms = performance.now() - t;
  const records = (text.match(/^id: /gm) ?? []).length;
  console.log(
    `${label.padEnd(34)} ${records} records in ${ms.toFixed(0)} ms (${Math.round(records / (ms / 1000))} records/s)`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'sparkwing-web-bench-'));
const admin = `swa_${randomBytes(24).toString('hex')}`;
const signingKey = randomBytes(32).toString('hex');
const procs = [];
try {
  const controller = await start('services/controller/dist/main.js', {
    SPARKWING_DATA_DIR: join(dir, 'c'),
    SPARKWING_ADMIN_TOKEN: admin,
    SPARKWING_SIGNING_KEY: signingKey,
    SPARKWING_SECRET_KEY: randomBytes(32).toString('hex'),
  });
  procs.push(controller);
  const logs = await start('services/logs/dist/main.js', {
    SPARKWING_DATA_DIR: join(dir, 'l'),
    SPARKWING_CONTROLLER_URL: controller.url,
    SPARKWING_SIGNING_KEY: signingKey,
  });
  procs.push(logs);
  const web = await start('services/web/dist/main.js', {
    SPARKWING_CONTROLLER_URL: controller.url,
    SPARKWING_LOGS_URL: logs.url,
    SPARKWING_SESSION_SECRET: randomBytes(32).toString('hex'),
  });
  procs.push(web);

  const auth = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
  const { token } = await json(`${controller.url}/api/v1/tokens`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ name: 'bench', kind: 'user', scopes: ['runs.read', 'logs.read'] }),
  });
  const { run_id } = await json(`${controller.url}/api/v1/triggers`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ pipeline: 'bench' }),
  });
  const plan = await json(`${controller.url}/api/v1/nodes/claim`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ runner_id: 'bench', wait_ms: 2000, run_id }),
  });
  const nodeAuth = { authorization: `Bearer ${plan.lease.token}` };
  const lines = Array.from({ length: LOG_LINES }, (_, i) =>
    JSON.stringify({ msg: `line ${i} ${'x'.repeat(60)}` }),
  );
  lines[lines.length - 1] = JSON.stringify({ msg: 'done', stream: 'system', final: true });
  for (let i = 0; i < lines.length; i += 5_000) {
    await json(`${logs.url}/api/v1/logs/${run_id}/_plan`, {
      method: 'POST',
      headers: { ...nodeAuth, 'content-type': 'application/x-ndjson' },
      body: `${lines.slice(i, i + 5_000).join('\n')}\n`,
    });
  }

  const signIn = await fetch(`${web.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  const cookie = signIn.headers.get('set-cookie').split(';')[0];
  const bearer = { authorization: `Bearer ${token}` };

  console.log(`node ${process.version}, ${REQUESTS} requests each, log of ${LOG_LINES} records`);
  const direct = await timeRequests('GET /api/v1/runs direct', `${controller.url}/api/v1/runs`, bearer);
  const proxied = await timeRequests('GET /api/v1/runs via web', `${web.url}/api/v1/runs`, { cookie });
  console.log(`${'proxy overhead (p50)'.padEnd(34)} ${(proxied - direct).toFixed(2)} ms`);
  // Alternate so neither side benefits from a warm file cache alone.
  for (let round = 1; round <= 2; round += 1) {
    await timeStream(
      `log stream direct (SSE) #${round}`,
      `${logs.url}/api/v1/logs/${run_id}/_plan/stream`,
      bearer,
    );
    await timeStream(`log stream via web (SSE) #${round}`, `${web.url}/api/v1/logs/${run_id}/_plan/stream`, {
      cookie,
    });
  }
} finally {
  for (const proc of procs.reverse()) proc.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  rmSync(dir, { recursive: true, force: true });
}
