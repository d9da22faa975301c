import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { ControllerClient } from '@sparkwing/client';
import type { PlanNode } from '@sparkwing/contracts';
import { type CommandResolver, type FakeKube, startFakeKube } from '@sparkwing/fake-kube';
import { createLogger } from '@sparkwing/telemetry';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { type Controller, createController } from '../../src/index.js';
import { KubernetesDispatcher, parseKubernetesDispatchConfig } from '../../src/dispatch/kubernetes/index.js';

export const ADMIN = 'swt_kubernetes-test-admin-token-0123';
export const NAMESPACE = 'sparkwing';
const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(here, '..', '..', '..', '..');
const TEST_WORKER = join(here, 'fixtures', 'test-worker.mjs');

/** Runs the container's `sparkwing-runner worker` as the test worker script (node ids pick its behaviour; `nostart*` cannot start). */
export const testWorkerResolver: CommandResolver = ({ argv, env }) =>
  argv[0] === 'sparkwing-runner' && !env.SPARKWING_NODE_ID?.startsWith('nostart')
    ? { command: process.execPath, args: [TEST_WORKER, ...argv.slice(1)] }
    : null;

/** The test worker, plus a stand-in daemon for the DinD sidecar's `dockerd` (the real one: docker-builds.test.ts). */
export const withDind: CommandResolver = (input) =>
  input.argv[0] === 'dockerd'
    ? { command: '/bin/sh', args: ['-c', 'exec sleep 3600'] }
    : testWorkerResolver(input);

export interface KubeHarness {
  kube: FakeKube;
  ctl: Controller;
  url: string;
  admin: ControllerClient;
  dispatcher: KubernetesDispatcher;
  batch: BatchV1Api;
  core: CoreV1Api;
  logLines: Array<Record<string, unknown>>;
  dir: string;
  kubeconfig: string;
  /** Triggers a run whose `_plan` (run by the test worker) posts these nodes. */
  runWith(nodes: PlanNode[]): Promise<string>;
  startDispatcher(env?: Record<string, string>): KubernetesDispatcher;
  restartController(): Promise<void>;
  metricsText(): Promise<string>;
  close(): Promise<void>;
}

export async function kubeHarness(
  options: { env?: Record<string, string>; resolver?: CommandResolver } = {},
): Promise<KubeHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'sparkwing-k8s-'));
  const planFile = join(dir, 'plans.json');
  const plans: Record<string, PlanNode[]> = {};
  writeFileSync(planFile, '{}');
  const kube = await startFakeKube({
    resolveCommand: options.resolver ?? testWorkerResolver,
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', TEST_PLAN_FILE: planFile },
    maxGraceSeconds: 1,
  });
  const kubeconfig = kube.writeKubeconfig(join(dir, 'kubeconfig'), NAMESPACE);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const logLines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    service: 'controller',
    level: 'debug',
    write: (line) => logLines.push(JSON.parse(line)),
  });

  let ctl!: Controller;
  let server!: ReturnType<typeof serve>;
  let port = 0;
  const boot = async () => {
    ctl = createController({
      dataDir: dir,
      adminToken: ADMIN,
      logger,
      settings: { leaseMs: options.leaseMs ?? 20_000 },
    });
    server = await new Promise((resolve) => {
      const s = serve({ fetch: ctl.app.fetch, hostname: '127.0.0.1', port }, () => resolve(s));
    });
    port = (server.address() as AddressInfo).port;
  };
  await boot();
  const url = `http://127.0.0.1:${port}`;
  const h: KubeHarness = {
    kube,
    ctl,
    url,
    admin: new ControllerClient({ baseUrl: url, token: ADMIN }),
    dispatcher: undefined as unknown as KubernetesDispatcher,
    batch: kc.makeApiClient(BatchV1Api),
    core: kc.makeApiClient(CoreV1Api),
    logLines,
    dir,
    kubeconfig,
    async runWith(nodes) {
      const { run_id } = await h.admin.trigger({ pipeline: 'k8s-demo' });
      plans[run_id] = nodes;
      writeFileSync(planFile, JSON.stringify(plans));
      return run_id;
    },
    startDispatcher(env = {}) {
      const config = parseKubernetesDispatchConfig({
        POD_NAMESPACE: NAMESPACE,
        KUBECONFIG: kubeconfig,
        SPARKWING_RUNNER_CONTROLLER_URL: url,
        SPARKWING_RUNNER_LOGS_URL: 'http://127.0.0.1:9',
        SPARKWING_RUNNER_CACHE_URL: 'http://127.0.0.1:9',
        SPARKWING_RUNNER_IMAGE: 'registry.test/sparkwing/runner:0.1.0',
        SPARKWING_DISPATCHER_RESYNC_INTERVAL: '500ms',
        SPARKWING_RUNNER_JOB_TTL: '30s',
        ...options.env,
        ...env,
      });
      h.dispatcher = new KubernetesDispatcher({
        queue: h.ctl.queue,
        registry: h.ctl.metrics.registry,
        logger,
        signingKey: h.ctl.signingKey,
        config,
      });
      h.dispatcher.start();
      return h.dispatcher;
    },
    async restartController() {
      await h.dispatcher?.stop();
      server.close();
      ctl.close();
      await boot();
      h.ctl = ctl;
    },
    async metricsText() {
      return h.ctl.metrics.registry.metrics();
    },
    async close() {
      await h.dispatcher?.stop();
      server.close();
      ctl.close();
      await kube.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  h.ctl = ctl;
  return h;
}

export async function until<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The value of one sample in Prometheus text format (0 when absent). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
