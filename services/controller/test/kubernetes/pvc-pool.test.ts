import type { V1Job } from '@kubernetes/client-node';
import { memoryCgroupsWritable } from '@sparkwing/fake-kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeHarness, kubeHarness, NAMESPACE, sample, until, withDind } from './harness.js';

const POOL = { name: 'docker', min: 1, max: 2, size: '1Gi', wait: '2s' };
const SELECTOR = 'app.kubernetes.io/name=sparkwing-pvc-pool';
const DOCKER = ['cache:docker'];

let h: KubeHarness;
beforeAll(async () => {
  h = await kubeHarness({
    resolver: withDind,
    env: {
      SPARKWING_RUNNER_DOCKER: 'sidecar',
      SPARKWING_PVC_POOLS: JSON.stringify([POOL]),
      SPARKWING_REGISTRY: 'registry.registry.svc.cluster.local:5000',
      SPARKWING_REGISTRY_SECRET: 'registry-creds',
    },
  });
  await h.core.createNamespacedSecret({
    namespace: NAMESPACE,
    body: {
      metadata: { name: 'registry-creds' },
      stringData: { username: 'ci', password: 'hunter2-registry' },
    },
  });
  h.startDispatcher();
});
afterAll(async () => h?.close());

const claims = async () =>
  (
    await h.core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE, labelSelector: SELECTOR })
  ).items.map((c) => ({
    name: c.metadata!.name!,
    state: c.metadata!.labels!['sparkwing.dev/pvc-state'],
    holder: c.metadata!.labels!['sparkwing.dev/holder'] ?? null,
  }));
const jobOf = async (runId: string, nodeId: string): Promise<V1Job> =>
  until(async () => {
    const jobs = await h.batch.listNamespacedJob({
      namespace: NAMESPACE,
      labelSelector: `sparkwing.dev/run-id=${runId}`,
    });
    return jobs.items.find((j) => j.metadata?.annotations?.['sparkwing.dev/node-id'] === nodeId);
  });
const claimOf = (job: V1Job) =>
  job.spec!.template.spec!.volumes!.find((v) => v.name === 'dind-data')?.persistentVolumeClaim?.claimName ??
  null;
const nodeStatus = async (runId: string, nodeId: string) =>
  (await h.admin.getRun(runId)).nodes.find((n) => n.id === nodeId);
const running = (runId: string, nodeId: string) =>
  until(async () => ((await nodeStatus(runId, nodeId))?.status === 'running' ? true : undefined));
/** Every pool PVC free again (none leaked, none held). */
const allReturned = () =>
  until(async () => {
    const list = await claims();
    return list.every((c) => c.state === 'available' && c.holder === null) ? list : undefined;
  });
const metric = async (name: string, labels: Record<string, string>) =>
  sample(await h.metricsText(), name, labels);

describe('warm pool of Docker-cache PVCs', () => {
  it('creates min PVCs at start and wires a checked-out one into the DinD sidecar', async () => {
    const initial = await until(async () => ((await claims()).length === 1 ? claims() : undefined));
    expect(initial[0]!.state).toBe('available');
    expect(await metric('sparkwing_pvc_pool_size', { pool: 'docker', state: 'available' })).toBe(1);

    const runId = await h.runWith([{ id: 'sleep-wire', requires: DOCKER }]);
    const job = await jobOf(runId, 'sleep-wire');
    await running(runId, 'sleep-wire');
    const spec = job.spec!.template.spec!;
    expect(claimOf(job)).toBe(initial[0]!.name);
    const dind = spec.initContainers![0]!;
    expect(dind).toMatchObject({
      name: 'dind',
      restartPolicy: 'Always',
      securityContext: { privileged: true },
    });
    expect(dind.volumeMounts).toContainEqual({ name: 'dind-data', mountPath: '/var/lib/docker' });
    const env = Object.fromEntries(spec.containers[0]!.env!.map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env.DOCKER_HOST).toBe('unix:///var/run/dind/docker.sock');
    expect(dind.args).toContain(`--host=${env.DOCKER_HOST}`);
    expect(env.SPARKWING_REGISTRY).toBe('registry.registry.svc.cluster.local:5000');
    expect(env.SPARKWING_REGISTRY_PASSWORD).toEqual({
      secretKeyRef: { name: 'registry-creds', key: 'password' },
    });
    expect(await claims()).toEqual([{ name: initial[0]!.name, state: 'in-use', holder: job.metadata!.name }]);
    expect(await metric('sparkwing_pvc_pool_checkouts_total', { pool: 'docker', outcome: 'warm' })).toBe(1);

    await h.admin.cancelRun(runId);
    await allReturned();
    expect(await metric('sparkwing_runner_lifecycle_transitions_total', { operation: 'pvc_return' })).toBe(1);
  });

  it('gives nodes that do not ask for Docker neither a sidecar nor a PVC', async () => {
    const runId = await h.runWith([{ id: 'ok-plain' }]);
    const job = await jobOf(runId, 'ok-plain');
    expect(job.spec!.template.spec!.initContainers).toBeUndefined();
    expect(claimOf(job)).toBeNull();
    const env = job.spec!.template.spec!.containers[0]!.env!.map((e) => e.name);
    expect(env).toContain('SPARKWING_REGISTRY');
    expect(env).not.toContain('DOCKER_HOST');
  });

  it('returns the PVC on success, failure, crash and eviction', async () => {
    const runId = await h.runWith([
      { id: 'ok-build', requires: DOCKER },
      { id: 'fail-build', requires: DOCKER, needs: ['ok-build'] },
    ]);
    await until(
      async () => ((await h.admin.getRun(runId)).run.status === 'failed' ? true : undefined),
      30_000,
    );
    await allReturned();
    const crash = await h.runWith([{ id: 'exit-build', requires: DOCKER }]);
    await until(async () =>
      (await nodeStatus(crash, 'exit-build'))?.status === 'failed' ? true : undefined,
    );
    await allReturned();
    const evict = await h.runWith([{ id: 'sleep-evict', requires: DOCKER }]);
    await running(evict, 'sleep-evict');
    const job = await jobOf(evict, 'sleep-evict');
    expect(claimOf(job)).not.toBeNull();
    const pods = await h.core.listNamespacedPod({
      namespace: NAMESPACE,
      labelSelector: `job-name=${job.metadata!.name}`,
    });
    h.kube.cluster.evictPod(NAMESPACE, pods.items[0]!.metadata!.name!, 'node shutdown');
    await until(async () =>
      (await nodeStatus(evict, 'sleep-evict'))?.result?.failure_reason === 'agent_lost' ? true : undefined,
    );
    await allReturned();
  });

  it('returns the PVC when the runner pod vanishes (agent_lost)', async () => {
    const runId = await h.runWith([{ id: 'sleep-vanish', requires: DOCKER }]);
    await running(runId, 'sleep-vanish');
    const job = await jobOf(runId, 'sleep-vanish');
    const pods = await h.core.listNamespacedPod({
      namespace: NAMESPACE,
      labelSelector: `job-name=${job.metadata!.name}`,
    });
    await h.core.deleteNamespacedPod({
      name: pods.items[0]!.metadata!.name!,
      namespace: NAMESPACE,
      gracePeriodSeconds: 0,
    });
    await until(async () =>
      (await nodeStatus(runId, 'sleep-vanish'))?.result?.failure_reason === 'agent_lost' ? true : undefined,
    );
    await allReturned();
  });

  it.runIf(memoryCgroupsWritable())('returns the PVC of an OOM-killed runner', async () => {
    const runId = await h.runWith([{ id: 'oom-build', requires: DOCKER, resources: { memory: '96Mi' } }]);
    await until(async () =>
      (await nodeStatus(runId, 'oom-build'))?.result?.failure_reason === 'oom_killed' ? true : undefined,
    );
    await allReturned();
  });

  it('creates under max when none is free, waits at max, and runs cold when none comes back', async () => {
    const runId = await h.runWith([
      { id: 'sleep-hold-1', requires: DOCKER },
      { id: 'sleep-hold-2', requires: DOCKER },
    ]);
    await running(runId, 'sleep-hold-1');
    await running(runId, 'sleep-hold-2');
    const held = await claims();
    expect(held).toHaveLength(2);
    expect(held.every((c) => c.state === 'in-use')).toBe(true);
    expect(new Set(held.map((c) => c.holder)).size).toBe(2);
    // The pool grew from min (1) to max (2) by creating a PVC when none was free.
    const noneFree = await metric('sparkwing_pvc_pool_misses_total', { pool: 'docker', reason: 'none_free' });
    expect(noneFree).toBeGreaterThanOrEqual(1);
    expect(await metric('sparkwing_pvc_pool_checkouts_total', { pool: 'docker', outcome: 'created' })).toBe(
      noneFree,
    );
    expect(await metric('sparkwing_pvc_pool_headroom', { pool: 'docker' })).toBe(0);

    // At max: this node waits the pool's 2 s, then runs without a cache volume.
    const cold = await h.runWith([{ id: 'ok-cold', requires: DOCKER }]);
    const coldJob = await jobOf(cold, 'ok-cold');
    expect(claimOf(coldJob)).toBeNull();
    expect(coldJob.spec!.template.spec!.volumes!.find((v) => v.name === 'dind-data')?.emptyDir).toEqual({});
    expect(await metric('sparkwing_pvc_pool_misses_total', { pool: 'docker', reason: 'exhausted' })).toBe(1);
    expect(await metric('sparkwing_pvc_pool_checkouts_total', { pool: 'docker', outcome: 'cold' })).toBe(1);

    // A PVC that comes back within the wait goes to the waiting node.
    const waiting = await h.runWith([{ id: 'ok-waiter', requires: DOCKER }]);
    await until(() =>
      h.logLines.some(
        (l) => l.msg === 'pvc pool exhausted; waiting for a return' && String(l.job).includes('ok-waiter'),
      ),
    );
    await h.admin.cancelRun(runId);
    const waiterJob = await jobOf(waiting, 'ok-waiter');
    expect(held.map((c) => c.name)).toContain(claimOf(waiterJob));
    expect(await metric('sparkwing_pvc_pool_checkouts_total', { pool: 'docker', outcome: 'waited' })).toBe(1);
    await allReturned();
    expect(await claims()).toHaveLength(2);
  });

  it('re-adopts checked-out PVCs from their labels after a controller restart', async () => {
    const runId = await h.runWith([{ id: 'sleep-restart', requires: DOCKER }]);
    await running(runId, 'sleep-restart');
    const job = await jobOf(runId, 'sleep-restart');
    const held = claimOf(job)!;
    await h.restartController();
    h.startDispatcher();
    // The new dispatcher reads the pool from the PVCs: the held one stays with its Job …
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await claims()).find((c) => c.name === held)).toEqual({
      name: held,
      state: 'in-use',
      holder: job.metadata!.name,
    });
    // … and comes back when that Job ends.
    await h.admin.cancelRun(runId);
    await allReturned();
  });

  it('reaps free PVCs beyond a lowered max', async () => {
    await allReturned();
    expect(await claims()).toHaveLength(2);
    await h.restartController();
    h.startDispatcher({ SPARKWING_PVC_POOLS: JSON.stringify([{ ...POOL, min: 0, max: 1 }]) });
    await until(async () => ((await claims()).length === 1 ? true : undefined));
    expect(
      await metric('sparkwing_runner_lifecycle_transitions_total', {
        operation: 'pvc_reap',
        outcome: 'success',
      }),
    ).toBe(1);
    expect(await metric('sparkwing_pvc_pool_headroom', { pool: 'docker' })).toBe(0);
  });
});
