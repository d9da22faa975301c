// Kubernetes dispatch benchmark: how fast ready nodes become running runner pods through the dispatcher
// and the fake cluster (claim → Secret + Job → pod → process → worker `start`). Pods run the test worker
// fixture (services/controller/test/kubernetes/fixtures/test-worker.mjs), so the figures are dispatch
// overhead, not pipeline work. Needs `pnpm --filter @sparkwing/fake-kube build` and
// `pnpm --filter @sparkwing/controller build` first.
// Usage: node bench/kubernetes-dispatch.mjs [--nodes 20] [--runs 3]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const controllerDir = resolve(here, '../services/controller');
const requireFromController = createRequire(join(controllerDir, 'package.json'));
const { serve } = await import(pathToFileURL(requireFromController.resolve('@hono/node-server')).href);
const { createController, loadKubernetesDispatcher, parseKubernetesDispatchConfig } = await import(
  pathToFileURL(join(controllerDir, 'dist/index.js')).href
);
const { startFakeKube } = await import(
  pathToFileURL(resolve(here, '../packages/fake-kube/dist/index.js')).href
);
const { ControllerClient } = await import(
  pathToFileURL(join(controllerDir, 'node_modules/@sparkwing/client/dist/index.js')).href
);

const args = {};
for (let i = 2; i < process.argv.length; i += 2)
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const NODES = Number(args.nodes ?? 20);
const RUNS = Number(args.runs ?? 3);
const WORKER = resolve(controllerDir, 'test/kubernetes/fixtures/test-worker.mjs');
const ADMIN = 'swt_bench-admin-token-0123456789';
const silent = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silent;
  },
};
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};

const dir = mkdtempSync(join(tmpdir(), 'sw-k8s-bench-'));
const planFile = join(dir, 'plans.json');
writeFileSync(planFile, '{}');
const kube = await startFakeKube({
  resolveCommand: ({ argv }) =>
    argv[0] === 'sparkwing-runner' ? { command: process.execPath, args: [WORKER, ...argv.slice(1)] } : null,
  baseEnv: { PATH: process.env.PATH, TEST_PLAN_FILE: planFile },
  maxGraceSeconds: 1,
});
const kubeconfig = kube.writeKubeconfig(join(dir, 'kubeconfig'), 'sparkwing');
const ctl = createController({ dataDir: dir, adminToken: ADMIN });
const server = await new Promise((ok) => {
  const s = serve({ fetch: ctl.app.fetch, hostname: '127.0.0.1', port: 0 }, () => ok(s));
});
const url = `http://127.0.0.1:${server.address().port}`;
const KubernetesDispatcher = await loadKubernetesDispatcher();
const dispatcher = new KubernetesDispatcher({
  queue: ctl.queue,
  registry: ctl.metrics.registry,
  logger: silent,
  signingKey: ctl.signingKey,
  config: parseKubernetesDispatchConfig({
    POD_NAMESPACE: 'sparkwing',
    KUBECONFIG: kubeconfig,
    SPARKWING_RUNNER_CONTROLLER_URL: url,
    SPARKWING_DISPATCHER_MAX_JOBS: String(NODES + 1),
  }),
});
dispatcher.start();
const admin = new ControllerClient({ baseUrl: url, token: ADMIN });

const toClaim = [];
const toStart = [];
const walls = [];
const plans = {};
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  const { run_id } = await admin.trigger({ pipeline: 'bench' });
  plans[run_id] = Array.from({ length: NODES }, (_, i) => ({ id: `ok-${i}` }));
  writeFileSync(planFile, JSON.stringify(plans));
  let detail;
  for (;;) {
    detail = await admin.getRun(run_id);
    if (['success', 'failed', 'cancelled'].includes(detail.run.status)) break;
    await new Promise((done) => setTimeout(done, 20));
  }
  walls.push(performance.now() - t0);
  if (detail.run.status !== 'success') throw new Error(`run ${run_id} ended ${detail.run.status}`);
  for (const node of detail.nodes.filter((n) => n.id !== '_plan')) {
    toClaim.push(Date.parse(node.claimed_at) - Date.parse(node.ready_at));
    toStart.push(Date.parse(node.started_at) - Date.parse(node.claimed_at));
  }
}
const line = (label, values) =>
  console.log(
    `${label.padEnd(44)} p50 ${percentile(values, 50).toFixed(0).padStart(6)} ms   p95 ${percentile(values, 95).toFixed(0).padStart(6)} ms`,
  );
console.log(`kubernetes dispatch through fake-kube: ${RUNS} runs × (${NODES} parallel nodes + _plan)`);
line('ready → claimed (dispatcher picks the node)', toClaim);
line('claimed → worker start (Secret, Job, pod, process)', toStart);
line('run wall time (trigger → success)', walls);

await dispatcher.stop();
server.close();
ctl.close();
await kube.close();
rmSync(dir, { recursive: true, force: true });
