#!/usr/bin/env node
// Claim-path benchmark against a real controller process (build first). Prints every target row of issue #15:
//   plan:      a PLAN_NODES-node plan accepted, and GET /runs/{id} of it (median of 3)
//   heartbeat: controller CPU for RUNNERS runners heartbeating every 5 s (two rounds, 64 in flight)
//   burst:     NODES no-op nodes drained by CLAIMERS long-polling claimers in this process; each node goes
//              through a full lifecycle (claim, start, finish). Controller CPU comes from its own process
//              (/proc/<pid>/stat), client CPU from this process.
//   metrics:   GET /metrics render time with the dispatch histograms populated (median of 5)
//   trickle:   one node made ready at a time while every claimer is parked in a long poll: wake-up latency
// --protocol v1: claim, start, finish (three calls per node); v2: claim with `start`, finish with `next`
// (one call per node once a claimer is warm).
// Usage: node bench/claim.mjs [--nodes 20000] [--claimers 64] [--trickle 300] [--runners 10000]
//          [--plan-nodes 2000] [--protocol v2] [--cpu-prof-dir DIR]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { ControllerClient } = await import(join(root, 'packages/client/dist/index.js'));
const args = {};
for (let i = 2; i < process.argv.length; i += 1) {
  if (process.argv[i].startsWith('--')) args[process.argv[i].slice(2)] = process.argv[i + 1];
}
const NODES = Number(args.nodes ?? 20_000);
const CLAIMERS = Number(args.claimers ?? 64);
const TRICKLE = Number(args.trickle ?? 300);
const RUNNERS = Number(args.runners ?? 10_000);
const PLAN_NODES = Number(args['plan-nodes'] ?? 2_000);
const PROTOCOL = args.protocol ?? 'v2';
const MAX_PLAN = 2_000;
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

const admin = new ControllerClient({ baseUrl: base, token: ADMIN });
for (let i = 0; ; i += 1) {
  try {
    await admin.health();
    break;
  } catch {
    if (i > 200) throw new Error('controller did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}
const runnerToken = (await admin.createToken({ name: 'bench', kind: 'runner', scopes: ['nodes.claim'] }))
  .token;
const client = new ControllerClient({ baseUrl: base, token: runnerToken });

const TICK_S = 1 / 100; // USER_HZ on Linux
/** The controller's own CPU seconds (user + system) from /proc: no request of ours is counted in it. */
const controllerCpu = () => {
  const fields = readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_S;
};
const clientCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};
const median = (values) => percentile(values, 50);
const timed = async (fn) => {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
};
const fmt = (n, digits = 1) => n.toFixed(digits);

// Plan: nodes that require a label no claimer has, so the burst claimers leave them alone; cancelled after.
const planAccept = [];
const runRead = [];
for (let r = 0; r < 3; r += 1) {
  const { run_id } = await admin.trigger({ pipeline: `bench-plan-${r}` });
  const planClaim = await client.claim({ runner_id: 'bench-planner', run_id, wait_ms: 0 });
  const nodes = Array.from({ length: PLAN_NODES }, (_, n) => ({
    id: `n${n}`,
    needs: n >= 100 ? [`n${n - 100}`] : [],
    requires: ['bench-plan-only'],
  }));
  planAccept.push((await timed(() => client.plan(run_id, { nodes }, planClaim.lease.token))).ms);
  runRead.push((await timed(() => admin.getRun(run_id))).ms);
  await admin.cancelRun(run_id);
}

// Heartbeats: every runner twice (the second round updates rows the first one inserted).
const beats = RUNNERS * 2;
let nextBeat = 0;
const hbCpu0 = controllerCpu();
const hbStart = performance.now();
await Promise.all(
  Array.from({ length: 64 }, async () => {
    while (nextBeat < beats) {
      const i = nextBeat++ % RUNNERS;
      await client.runnerHeartbeat({ runner_id: `bench-runner-${i}`, labels: ['linux'], capacity: 1 });
    }
  }),
);
const hbSeconds = (performance.now() - hbStart) / 1000;
const hbCpuPerBeat = (controllerCpu() - hbCpu0) / beats;

let phase = { perRun: 0, latencies: [], lifecycles: 0 };
let stop = false;
const answered = (got) => {
  phase.latencies.push(Date.now() - Date.parse(got.node.ready_at));
  phase.lifecycles += 1;
};
const plan = async (got) => {
  if (got.node.id !== '_plan' || phase.perRun === 0) return;
  const nodes = Array.from({ length: phase.perRun }, (_, n) => ({ id: `n${n}` }));
  await client.plan(got.run.id, { nodes }, got.lease.token);
};
async function claimerV1(i) {
  while (!stop) {
    const got = await client.claim({ runner_id: `bench-${i}`, wait_ms: 5000 });
    if (!got) continue;
    answered(got);
    await client.startNode(got.run.id, got.node.id, got.lease.token, { runner_id: `bench-${i}` });
    await plan(got);
    await client.finishNode(got.run.id, got.node.id, got.lease.token, { outcome: 'success' });
  }
}
async function claimerV2(i) {
  const want = { runner_id: `bench-${i}`, wait_ms: 5000, start: true };
  let got = null;
  while (!stop) {
    if (!got) got = await client.claim(want);
    if (!got) continue;
    answered(got);
    await plan(got);
    const done = await client.finishNode(got.run.id, got.node.id, got.lease.token, {
      outcome: 'success',
      ...(stop ? {} : { next: want }),
    });
    got = done.next_claim ?? null;
  }
}
const claimer = PROTOCOL === 'v1' ? claimerV1 : claimerV2;
const claimers = Array.from({ length: CLAIMERS }, (_, i) => claimer(i));
await new Promise((r) => setTimeout(r, 300));

async function waitFor(count) {
  while (phase.lifecycles < count) await new Promise((r) => setTimeout(r, 5));
}

// Burst: runs of up to MAX_PLAN nodes each (the plan limit), all triggered at once.
const runs = Math.ceil(NODES / MAX_PLAN);
phase = { perRun: Math.ceil(NODES / runs), latencies: [], lifecycles: 0 };
const burstTotal = runs * (phase.perRun + 1);
const cpu0 = controllerCpu();
const clientCpu0 = clientCpu();
const burstStart = performance.now();
for (let r = 0; r < runs; r += 1) await admin.trigger({ pipeline: `bench-burst-${r}` });
await waitFor(burstTotal);
const burstSeconds = (performance.now() - burstStart) / 1000;
const burstCpu = controllerCpu() - cpu0;
const burstClientCpu = clientCpu() - clientCpu0;
const burst = phase;

const metricsRender = [];
for (let i = 0; i < 5; i += 1) {
  metricsRender.push((await timed(async () => (await fetch(`${base}/metrics`)).text())).ms);
}

// Trickle: one node at a time, every claimer idle in a long poll.
phase = { perRun: 0, latencies: [], lifecycles: 0 };
const trickleStart = performance.now();
for (let n = 0; n < TRICKLE; n += 1) {
  await admin.trigger({ pipeline: 'bench-trickle' });
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

const per = (seconds) => fmt((seconds * 1000) / burstTotal, 3);
console.log(
  `claim bench (${PROTOCOL}): ${CLAIMERS} long-polling claimers in one process, controller on node ${process.version}`,
);
console.log(
  `burst:     ${burstTotal} lifecycles (${runs} runs x ${burst.perRun} + _plan) in ${fmt(burstSeconds)}s = ${fmt(burstTotal / burstSeconds, 0)} lifecycles/s`,
);
console.log(
  `           controller CPU ${per(burstCpu)} ms per lifecycle; client CPU ${per(burstClientCpu)} ms per lifecycle`,
);
console.log(
  `           ready->claim answered p50 ${percentile(burst.latencies, 50)} ms, p99 ${percentile(burst.latencies, 99)} ms (queueing included)`,
);
console.log(
  `trickle:   ${TRICKLE} nodes made ready one at a time in ${fmt(trickleSeconds)}s; wake-up p50 ${percentile(trickle.latencies, 50)} ms, p99 ${percentile(trickle.latencies, 99)} ms`,
);
console.log(
  `heartbeat: ${beats} runner heartbeats in ${fmt(hbSeconds)}s, ${fmt(hbCpuPerBeat * 1e6, 0)} us controller CPU each = ${fmt(hbCpuPerBeat * (RUNNERS / 5) * 100)}% of one core for ${RUNNERS} runners every 5 s`,
);
console.log(`metrics:   GET /metrics (histograms populated) median ${fmt(median(metricsRender))} ms`);
console.log(
  `plan:      ${PLAN_NODES}-node plan accepted median ${fmt(median(planAccept))} ms; GET /runs/{id} of it median ${fmt(median(runRead))} ms`,
);
const claimed = /sparkwing_nodes_claimed_total\{[^}]*\} (\d+)/.exec(metrics)?.[1];
console.log(`controller sparkwing_nodes_claimed_total: ${claimed}`);
process.exit(0);
