import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeHarness, kubeHarness, NAMESPACE, sample, until } from './harness.js';

let h: KubeHarness;
beforeAll(async () => {
  // Short leases: a pod that waits longer than one must still start with a valid token.
  // The image pull grace stays at its 2m default: a missing image must fail without waiting for it.
  h = await kubeHarness({
    leaseMs: 3_000,
    env: { SPARKWING_RUNNER_DEADLINE_GRACE: '1s', SPARKWING_UNSCHEDULABLE_GRACE: '8s' },
  });
  h.startDispatcher();
});
afterAll(async () => h?.close());

const finishedRun = (runId: string) =>
  until(async () => {
    const d = await h.admin.getRun(runId);
    return ['success', 'failed', 'cancelled'].includes(d.run.status) ? d : undefined;
  }, 30_000);
const spawnFailures = async (reason: string) =>
  sample(await h.metricsText(), 'sparkwing_runner_spawn_failures_total', { reason });

describe('kubernetes dispatcher spawn failures and pending pods', () => {
  it('fails the attempt when the Job cannot be created and succeeds on the retry', async () => {
    h.kube.cluster.failRequests('create', 'jobs', { nameIncludes: 'ok-retry-job' });
    const runId = await h.runWith([{ id: 'ok-retry-job', retries: 1 }]);
    const detail = await finishedRun(runId);
    const node = detail.nodes.find((n) => n.id === 'ok-retry-job')!;
    expect(node.status).toBe('success');
    expect(node.attempt).toBe(2);
    expect(node.attempts[0]?.error).toContain('could not create the runner Job');
    expect(await spawnFailures('job_create')).toBe(1);
    const text = await h.metricsText();
    expect(
      sample(text, 'sparkwing_runner_lifecycle_transitions_total', {
        operation: 'spawn',
        outcome: 'api_error',
      }),
    ).toBe(1);
  });

  it('counts a Secret that cannot be created as its own stage', async () => {
    h.kube.cluster.failRequests('create', 'secrets', { nameIncludes: 'ok-retry-secret' });
    const runId = await h.runWith([{ id: 'ok-retry-secret', retries: 1 }]);
    const detail = await finishedRun(runId);
    expect(detail.nodes.find((n) => n.id === 'ok-retry-secret')?.status).toBe('success');
    expect(await spawnFailures('secret_create')).toBe(1);
  });

  it('reports Unschedulable as status detail and keeps the lease and token alive until the pod starts', async () => {
    const release = h.kube.cluster.holdScheduling(
      (pod) => pod.metadata.labels?.['sparkwing.dev/node-id'] === 'ok-pending',
      '0/3 nodes are available: 3 Insufficient memory.',
    );
    const runId = await h.runWith([{ id: 'ok-pending' }]);
    const detail = await until(async () => {
      const d = (await h.admin.getRun(runId)).nodes.find((n) => n.id === 'ok-pending')?.status_detail;
      return d?.startsWith('Unschedulable') ? d : undefined;
    });
    expect(detail).toBe('Unschedulable: 0/3 nodes are available: 3 Insufficient memory.');
    expect(await spawnFailures('pod_schedule')).toBe(1);
    // Longer than the lease (and the first token's lifetime).
    await new Promise((r) => setTimeout(r, 4_500));
    expect((await h.admin.getRun(runId)).nodes.find((n) => n.id === 'ok-pending')?.status).toBe('claimed');
    release();
    const done = await finishedRun(runId);
    expect(done.nodes.find((n) => n.id === 'ok-pending')).toMatchObject({
      status: 'success',
      status_detail: null,
    });
    const text = await h.metricsText();
    expect(sample(text, 'sparkwing_runner_health_checks_total', { result: 'fail' })).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('fails a node whose pod no node can hold with unschedulable after the grace, deleting its Job', async () => {
    // Requests larger than the fake node's allocatable (64Gi): the fake scheduler leaves it Pending.
    const runId = await h.runWith([{ id: 'ok-huge', resources: { memory: '512Gi' } }]);
    const done = await finishedRun(runId);
    const node = done.nodes.find((n) => n.id === 'ok-huge')!;
    expect(node.status).toBe('failed');
    expect(node.attempt).toBe(1);
    expect(node.result?.failure_reason).toBe('unschedulable');
    expect(node.error).toMatch(
      /could not be scheduled for \d+s: Unschedulable: 0\/1 nodes are available: 1 Insufficient memory/,
    );
    const text = await h.metricsText();
    expect(
      sample(text, 'sparkwing_runner_lifecycle_transitions_total', {
        operation: 'finish',
        outcome: 'unschedulable',
        origin: 'unschedulable_grace',
      }),
    ).toBe(1);
    await until(
      async () =>
        (
          await h.batch.listNamespacedJob({
            namespace: NAMESPACE,
            labelSelector: `sparkwing.dev/run-id=${runId},sparkwing.dev/node-id=ok-huge`,
          })
        ).items.length === 0,
    );
  });

  it('fails a node whose runner image does not exist with image_pull at once, not after the grace', async () => {
    const release = h.kube.cluster.holdImagePull('registry.test/sparkwing/runner:0.1.0', {
      reason: 'ErrImagePull',
      message:
        'rpc error: code = NotFound desc = failed to pull and unpack image "registry.test/sparkwing/runner:0.1.0": not found',
    });
    try {
      const runId = await h.runWith([{ id: 'ok-unpulled' }]);
      // The grace is 2m; the run ends well within `finishedRun`'s 30 s bound.
      const done = await finishedRun(runId);
      const plan = done.nodes.find((n) => n.id === '_plan')!;
      expect(plan.status).toBe('failed');
      expect(plan.result?.failure_reason).toBe('image_pull');
      expect(plan.error).toContain(
        'the runner image "registry.test/sparkwing/runner:0.1.0" could not be pulled: ErrImagePull',
      );
      expect(await spawnFailures('image_pull')).toBe(1);
    } finally {
      release();
    }
  });

  it('counts a container that cannot start as container_create', async () => {
    const runId = await h.runWith([{ id: 'nostart' }]);
    const detail = await finishedRun(runId);
    const node = detail.nodes.find((n) => n.id === 'nostart')!;
    expect(node.status).toBe('failed');
    expect(node.result?.exit_code).toBe(128);
    expect(await spawnFailures('container_create')).toBe(1);
  });

  it('deletes a stranded Job whose node is already terminal', async () => {
    const runId = await h.runWith([{ id: 'ok-done' }]);
    await finishedRun(runId);
    const release = h.kube.cluster.holdImagePull('registry.test/stuck:1');
    // The first delete fails (counted), a later resync retries it.
    h.kube.cluster.failRequests('delete', 'jobs', { nameIncludes: 'sw-leftover' });
    try {
      await h.batch.createNamespacedJob({
        namespace: NAMESPACE,
        body: {
          metadata: {
            name: 'sw-leftover',
            labels: {
              'app.kubernetes.io/name': 'sparkwing-runner',
              'app.kubernetes.io/managed-by': 'sparkwing-controller',
              'sparkwing.dev/run-id': runId,
              'sparkwing.dev/node-id': 'ok-done',
              'sparkwing.dev/attempt': '1',
            },
            annotations: { 'sparkwing.dev/run-id': runId, 'sparkwing.dev/node-id': 'ok-done' },
          },
          spec: {
            backoffLimit: 0,
            template: {
              spec: {
                restartPolicy: 'Never',
                containers: [{ name: 'runner', image: 'registry.test/stuck:1', command: ['sleep', '60'] }],
              },
            },
          },
        },
      });
      await until(
        async () =>
          sample(await h.metricsText(), 'sparkwing_runner_stranded_jobs_reconciled_total', {
            outcome: 'deleted',
          }) >= 1,
      );
      expect(
        sample(await h.metricsText(), 'sparkwing_runner_stranded_jobs_reconciled_total', {
          outcome: 'delete_failed',
        }),
      ).toBe(1);
      await until(
        async () =>
          (
            await h.batch.listNamespacedJob({
              namespace: NAMESPACE,
              fieldSelector: 'metadata.name=sw-leftover',
            })
          ).items.length === 0,
      );
    } finally {
      release();
    }
  });

  it('fails a node whose Job ran past activeDeadlineSeconds with timeout', async () => {
    const runId = await h.runWith([{ id: 'sleep-deadline', timeout_s: 1 }]);
    const jobs = await until(async () => {
      const list = await h.batch.listNamespacedJob({
        namespace: NAMESPACE,
        labelSelector: 'sparkwing.dev/node-id=sleep-deadline',
      });
      return list.items[0];
    });
    expect(jobs.spec?.activeDeadlineSeconds).toBe(2);
    const detail = await finishedRun(runId);
    const node = detail.nodes.find((n) => n.id === 'sleep-deadline')!;
    expect(node.result?.failure_reason).toBe('timeout');
    expect(node.error).toContain('activeDeadlineSeconds');
  });

  it('counts a runner cancelled before it started as context_canceled', async () => {
    const release = h.kube.cluster.holdScheduling(
      (pod) => pod.metadata.labels?.['sparkwing.dev/node-id'] === 'ok-cancelled',
    );
    try {
      const runId = await h.runWith([{ id: 'ok-cancelled' }]);
      await until(async () =>
        (await h.admin.getRun(runId)).nodes
          .find((n) => n.id === 'ok-cancelled')
          ?.status_detail?.startsWith('Unschedulable'),
      );
      await h.admin.cancelRun(runId);
      const detail = await finishedRun(runId);
      expect(detail.run.status).toBe('cancelled');
      expect(detail.nodes.find((n) => n.id === 'ok-cancelled')?.status).toBe('cancelled');
      expect(await spawnFailures('context_canceled')).toBe(1);
    } finally {
      release();
    }
  });
});
