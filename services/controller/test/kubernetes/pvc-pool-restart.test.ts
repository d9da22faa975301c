import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerClient } from '@sparkwing/client';
import type { PlanNode } from '@sparkwing/contracts';
import { type FakeKube, startFakeKube } from '@sparkwing/fake-kube';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE, sample, until, withDind } from './harness.js';
import { freePort, type Proc, startService } from './processes.js';

// The pool's state lives in PVC labels: a controller killed with SIGKILL while PVCs are checked out
// re-adopts them, hands none to a second Job, and returns the ones whose Jobs ended while it was down.
const SELECTOR = 'app.kubernetes.io/name=sparkwing-pvc-pool';
const DOCKER = ['cache:docker'];

let dir: string;
let kube: FakeKube;
let controller: Proc;
let admin: ControllerClient;
let core: CoreV1Api;
let batch: BatchV1Api;
let startController: () => Promise<Proc>;
/** Triggers a run whose `_plan` (run by the test worker) posts these nodes. */
let runWith: (nodes: PlanNode[]) => Promise<string>;
const plans: Record<string, PlanNode[]> = {};
const adminToken = `swt_admin_${randomBytes(16).toString('hex')}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sparkwing-pool-k9-'));
  const planFile = join(dir, 'plans.json');
  writeFileSync(planFile, '{}');
  kube = await startFakeKube({
    resolveCommand: withDind,
    baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', TEST_PLAN_FILE: planFile },
    maxGraceSeconds: 1,
  });
  const kubeconfig = kube.writeKubeconfig(join(dir, 'kubeconfig'), NAMESPACE);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  batch = kc.makeApiClient(BatchV1Api);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    SPARKWING_DATA_DIR: join(dir, 'controller'),
    SPARKWING_ADMIN_TOKEN: adminToken,
    SPARKWING_SIGNING_KEY: randomBytes(24).toString('hex'),
    SPARKWING_LEASE_DURATION: '30s',
    SPARKWING_SWEEP_INTERVAL: '1s',
    SPARKWING_DISPATCHER: 'kubernetes',
    KUBECONFIG: kubeconfig,
    POD_NAMESPACE: NAMESPACE,
    SPARKWING_RUNNER_IMAGE: 'registry.test/sparkwing/runner:0.1.0',
    SPARKWING_RUNNER_CONTROLLER_URL: url,
    SPARKWING_RUNNER_LOGS_URL: 'http://127.0.0.1:9',
    SPARKWING_RUNNER_CACHE_URL: 'http://127.0.0.1:9',
    SPARKWING_DISPATCHER_RESYNC_INTERVAL: '500ms',
    SPARKWING_RUNNER_DOCKER: 'sidecar',
    SPARKWING_PVC_POOLS: JSON.stringify([{ name: 'docker', min: 0, max: 2, size: '1Gi', wait: '1s' }]),
  };
  startController = () => startService('services/controller/dist/main.js', env);
  controller = await startController();
  admin = new ControllerClient({ baseUrl: controller.url, token: adminToken });
  runWith = async (nodes: PlanNode[]) => {
    const { run_id } = await admin.trigger({ pipeline: 'k8s-demo' });
    plans[run_id] = nodes;
    writeFileSync(planFile, JSON.stringify(plans));
    return run_id;
  };
}, 60_000);

afterAll(async () => {
  await controller?.stop();
  await kube?.close();
  rmSync(dir, { recursive: true, force: true });
});

const claims = async () =>
  Object.fromEntries(
    (
      await core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, labelSelector: SELECTOR })
    ).items.map((c) => [
      c.metadata!.name!,
      {
        state: c.metadata!.labels!['sparkwing.dev/pvc-state'],
        holder: c.metadata!.labels!['sparkwing.dev/holder'],
      },
    ]),
  );
const jobOf = (runId: string, nodeId: string) =>
  until(async () => {
    const jobs = await batch.listNamespacedJob({
      namespace: NAMESPACE,
      labelSelector: `sparkwing.dev/run-id=${runId}`,
    });
    return jobs.items.find((j) => j.metadata?.annotations?.['sparkwing.dev/node-id'] === nodeId);
  });
const running = (runId: string, nodeId: string) =>
  until(async () => {
    const node = (await admin.getRun(runId)).nodes.find((n) => n.id === nodeId);
    return node?.status === 'running' ? node : undefined;
  });
const claimOf = async (runId: string, nodeId: string) => {
  const job = await jobOf(runId, nodeId);
  const claim = job.spec!.template.spec!.volumes!.find((v) => v.name === 'dind-data')?.persistentVolumeClaim;
  return { job: job.metadata!.name!, claim: claim?.claimName ?? null };
};

describe('warm pool across a controller kill -9', () => {
  it('re-adopts checked-out PVCs, hands none out twice, and returns those whose Jobs ended meanwhile', async () => {
    const runA = await runWith([{ id: 'sleep-keep', requires: DOCKER }]);
    const runB = await runWith([{ id: 'sleep-gone', requires: DOCKER }]);
    await running(runA, 'sleep-keep');
    await running(runB, 'sleep-gone');
    const keep = await claimOf(runA, 'sleep-keep');
    const gone = await claimOf(runB, 'sleep-gone');
    expect(keep.claim).not.toBeNull();
    expect(gone.claim).not.toBeNull();
    expect(keep.claim).not.toBe(gone.claim);

    controller.proc.kill('SIGKILL');
    await new Promise<void>((resolve) => controller.proc.once('exit', () => resolve()));
    // While the controller is down, one holder's Job goes away (deleted by hand, a node drain, …).
    await batch.deleteNamespacedJob({
      name: gone.job,
      namespace: NAMESPACE,
      propagationPolicy: 'Background',
    });
    expect(await claims()).toEqual({
      [keep.claim!]: { state: 'in-use', holder: keep.job },
      [gone.claim!]: { state: 'in-use', holder: gone.job },
    });

    controller = await startController();
    // The PVC of the vanished Job comes back; the live Job keeps its own.
    await until(async () => ((await claims())[gone.claim!]?.state === 'available' ? true : undefined));
    expect((await claims())[keep.claim!]).toEqual({ state: 'in-use', holder: keep.job });

    // A new node gets the returned PVC, never the one still held.
    const runC = await runWith([{ id: 'sleep-next', requires: DOCKER }]);
    await running(runC, 'sleep-next');
    const next = await claimOf(runC, 'sleep-next');
    expect(next.claim).toBe(gone.claim);
    expect(await claims()).toEqual({
      [keep.claim!]: { state: 'in-use', holder: keep.job },
      [gone.claim!]: { state: 'in-use', holder: next.job },
    });

    await admin.cancelRun(runA);
    await admin.cancelRun(runC);
    await until(async () => {
      const all = Object.values(await claims());
      return all.length === 2 && all.every((c) => c.state === 'available' && c.holder === undefined);
    });
    const metrics = await (await fetch(`${controller.url}/metrics`)).text();
    expect(sample(metrics, 'sparkwing_pvc_pool_size', { pool: 'docker', state: 'available' })).toBe(2);
    expect(sample(metrics, 'sparkwing_pvc_pool_checkouts_total', { pool: 'docker', outcome: 'warm' })).toBe(
      1,
    );
  });
});
