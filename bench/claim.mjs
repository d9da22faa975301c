#!/usr/bin/env node
// Claim-queue benchmark: 64 long-polling claimers against a real controller process.
// Prints claims/s and p50/p99 latency from a node becoming ready (its ready_at) to its claim being answered.
//   burst:   runs whose plans make many nodes ready at once; claimers claim and finish as fast as they can.
//   trickle: one node becomes ready at a time while every claimer is parked in a long poll (pure wake-up latency).
// Usage: node bench/claim.mjs [--nodes 2000] [--claimers 64] [--trickle 300] [--cpu-prof-dir DIR]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = {};
for (let i = 2; i < process.argv.length; i += 1) {
  if (process.argv[i].startsWith('--')) args[process.argv[i].slice(2)] = process.argv[i + 1];
}
const NODES = Number(args.nodes ?? 2000);
const CLAIMERS = Number(args.claimers ?? 64);
const TRICKLE = Number(args.trickle ?? 300);
const RUNS = 4;
const ADMIN = 'swt_bench-admin-token-000000000';

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), 'sparkwing-bench-claim-'));
const proc = spawn(
  process.execPath,
  [
    ...(args['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof-dir']}`] : []),
    join(root, 'services/controller/dist/main.js'),
  ],
  {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      SPARKWING_DATA_DIR: dataDir,
      SPARKWING_ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);

async function call(method, path, body, token = ADMIN) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

for (let i = 0; ; i += 1) {
  try {
    if ((await fetch(`${base}/api/v1/health`)).ok) break;
  } catch {
    if (i > 200) throw new Error('controller did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}
const runner = (
  await call('POST', '/api/v1/tokens', { name: 'bench', kind: 'runner', scopes: ['nodes.claim'] })
).token;

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

let phase = { perRun: 0, latencies: [], claims: 0 };
let stop = false;
async function claimer(i) {
  while (!stop) {
    const got = await call('POST', '/api/v1/nodes/claim', { runner_id: `bench-${i}`, wait_ms: 5000 }, runner);
    if (!got) continue;
    const answeredAt = Date.now();
    const { run, node, lease } = got;
    phase.latencies.push(answeredAt - Date.parse(node.ready_at));
    phase.claims += 1;
    if (node.id === '_plan' && phase.perRun > 0) {
      const nodes = Array.from({ length: phase.perRun }, (_, n) => ({ id: `n${n}` }));
      await call('POST', `/api/v1/runs/${run.id}/plan`, { nodes }, lease.token);
    }
    await call('POST', `/api/v1/runs/${run.id}/nodes/${node.id}/finish`, { outcome: 'success' }, lease.token);
  }
}
const claimers = Array.from({ length: CLAIMERS }, (_, i) => claimer(i));
await new Promise((r) => setTimeout(r, 300));

async function waitFor(count) {
  while (phase.claims < count) await new Promise((r) => setTimeout(r, 5));
}

// The controller's own CPU time (process metrics): a figure that holds even on a busy machine.
const cpuSeconds = async () =>
  Number(
    /sparkwing_process_(?:process_)?cpu_seconds_total\{[^}]*\} ([0-9.e+-]+)/.exec(
      await (await fetch(`${base}/metrics`)).text(),
    )?.[1] ?? NaN,
  );

// Burst: RUNS plans of NODES/RUNS nodes each.
const cpuBefore = await cpuSeconds();
phase = { perRun: Math.ceil(NODES / RUNS), latencies: [], claims: 0 };
const burstTotal = RUNS * (phase.perRun + 1);
const burstStart = performance.now();
for (let r = 0; r < RUNS; r += 1) await call('POST', '/api/v1/triggers', { pipeline: `bench-burst-${r}` });
await waitFor(burstTotal);
const burstSeconds = (performance.now() - burstStart) / 1000;
const burstCpu = (await cpuSeconds()) - cpuBefore;
const burst = phase;

// Trickle: one node at a time, every claimer idle in a long poll.
phase = { perRun: 0, latencies: [], claims: 0 };
const trickleStart = performance.now();
for (let n = 0; n < TRICKLE; n += 1) {
  await call('POST', '/api/v1/triggers', { pipeline: 'bench-trickle' });
  await waitFor(n + 1);
  await new Promise((r) => setTimeout(r, 2));
}
const trickleSeconds = (performance.now() - trickleStart) / 1000;
const trickle = phase;

stop = true;
const metrics = await (await fetch(`${base}/metrics`)).text();
proc.kill('SIGTERM');
await Promise.allSettled(claimers);
rmSync(dataDir, { recursive: true, force: true });

const fmt = (n) => n.toFixed(1);
console.log(`claim bench: ${CLAIMERS} long-polling claimers, controller on node ${process.version}`);
console.log(
  `burst:   ${burstTotal} nodes (${RUNS} runs x ${burst.perRun} + _plan) in ${fmt(burstSeconds)}s = ${fmt(burstTotal / burstSeconds)} claims/s (each claim also finished); ready->claim answered p50 ${percentile(burst.latencies, 50)} ms, p99 ${percentile(burst.latencies, 99)} ms`,
);
console.log(
  `         controller CPU ${fmt((burstCpu * 1000) / burstTotal)} ms per node (claim + finish + plan share) = ${fmt(burstTotal / burstCpu)} nodes per CPU-second`,
);
console.log(
  `trickle: ${TRICKLE} nodes made ready one at a time in ${fmt(trickleSeconds)}s; ready->claim answered p50 ${percentile(trickle.latencies, 50)} ms, p99 ${percentile(trickle.latencies, 99)} ms`,
);
const claimed = /sparkwing_nodes_claimed_total\{[^}]*\} (\d+)/.exec(metrics)?.[1];
console.log(`controller sparkwing_nodes_claimed_total: ${claimed}`);
process.exit(0);
