import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryCgroupsWritable } from '@sparkwing/fake-kube';
import { type KubeHarness, kubeHarness, NAMESPACE, sample, until } from './harness.js';

let h: KubeHarness;
beforeAll(async () => {
  h = await kubeHarness({ env: { SPARKWING_IMAGE_PULL_GRACE: '1500ms', SPARKWING_RUNNER_JOB_TTL: '10s' } });
  h.startDispatcher();
});
afterAll(async () => h?.close());

const terminal = (s: string) => ['success', 'failed', 'cancelled'].includes(s);

async function finishedRun(runId: string) {
  return until(async () => {
    const detail = await h.admin.getRun(runId);
    return terminal(detail.run.status) ? detail : undefined;
  }, 30_000);
}

describe('kubernetes dispatcher through the fake cluster', () => {
  it('runs a multi-node run with one Job per node', async () => {
    const runId = await h.runWith([
      { id: 'ok-a' },
      { id: 'ok-b', needs: ['ok-a'] },
      { id: 'ok-c', needs: ['ok-a'] },
    ]);
    const detail = await finishedRun(runId);
    expect(detail.run.status).toBe('success');
    expect(detail.nodes.map((n) => n.status)).toEqual(['success', 'success', 'success', 'success']);
    const jobs = await h.batch.listNamespacedJob({
      namespace: NAMESPACE,
      labelSelector: `sparkwing.dev/run-id=${runId}`,
    });
    expect(jobs.items).toHaveLength(4);
    const job = jobs.items.find((j) => j.metadata?.annotations?.['sparkwing.dev/node-id'] === 'ok-a')!;
    const spec = job.spec!;
    expect(spec.backoffLimit).toBe(0);
    expect(spec.template.spec?.restartPolicy).toBe('Never');
    const container = spec.template.spec!.containers[0]!;
    expect(container.securityContext?.capabilities?.drop).toEqual(['ALL']);
    expect(
      container.env?.find((e) => e.name === 'SPARKWING_AGENT_TOKEN')?.valueFrom?.secretKeyRef?.name,
    ).toBe(job.metadata?.name);
    expect(container.env?.some((e) => e.name === 'SPARKWING_AGENT_TOKEN' && e.value)).toBe(false);
    const count = async (operation: string) =>
      sample(await h.metricsText(), 'sparkwing_runner_lifecycle_transitions_total', {
        operation,
        outcome: 'success',
      });
    await until(async () => (await count('finish')) >= 4);
    expect(await count('spawn')).toBeGreaterThanOrEqual(4);
    expect(await count('start')).toBeGreaterThanOrEqual(4);
  });

  it.runIf(memoryCgroupsWritable())(
    'fails an OOM-killed runner oom_killed with the death log captured',
    async () => {
      const runId = await h.runWith([{ id: 'oom-1', resources: { memory: '96Mi' } }]);
      const detail = await finishedRun(runId);
      const node = detail.nodes.find((n) => n.id === 'oom-1')!;
      expect(node.status).toBe('failed');
      expect(node.result?.failure_reason).toBe('oom_killed');
      expect(node.result?.exit_code).toBe(137);
      const deathLog = await until(
        async () => (await h.admin.getRun(runId)).nodes.find((n) => n.id === 'oom-1')?.death_log,
      );
      expect(deathLog).toContain('allocating until the cgroup limit');
      expect(
        sample(await h.metricsText(), 'sparkwing_death_logs_captured_total', { outcome: 'captured' }),
      ).toBeGreaterThanOrEqual(1);
      const line = await until(() =>
        h.logLines.find((l) => l.msg === 'runner death log captured' && l.node_id === 'oom-1'),
      );
      expect(line).toMatchObject({ run_id: runId, node_id: 'oom-1' });
      expect(String(line.pod)).toMatch(/^sw-/);
      expect(line.ended_at).toBeTruthy();
      // The TTL reaps the Job and its pod afterwards; the stored death log survives it.
      await until(
        async () =>
          (
            await h.core.listNamespacedPod({
              namespace: NAMESPACE,
              labelSelector: 'sparkwing.dev/node-id=oom-1',
            })
          ).items.length === 0,
        30_000,
      );
      expect((await h.admin.getRun(runId)).nodes.find((n) => n.id === 'oom-1')?.death_log).toContain(
        'allocating',
      );
    },
  );

  async function runningPod(nodeId: string) {
    return until(async () => {
      const pods = await h.core.listNamespacedPod({
        namespace: NAMESPACE,
        labelSelector: `sparkwing.dev/node-id=${nodeId}`,
      });
      const pod = pods.items.find((p) => p.status?.containerStatuses?.[0]?.state?.running);
      return pod?.metadata?.name;
    });
  }

  it('fails an evicted runner agent_lost at once, with the eviction message', async () => {
    const runId = await h.runWith([{ id: 'sleep-evict' }]);
    const pod = await runningPod('sleep-evict');
    h.kube.cluster.evictPod(
      NAMESPACE,
      pod,
      'The node was low on resource: memory. Threshold quantity: 100Mi.',
    );
    const detail = await finishedRun(runId);
    const node = detail.nodes.find((n) => n.id === 'sleep-evict')!;
    expect(node.result?.failure_reason).toBe('agent_lost');
    expect(node.error).toContain('evicted');
    expect(node.error).toContain('The node was low on resource: memory');
    await until(
      async () =>
        sample(await h.metricsText(), 'sparkwing_runner_lifecycle_transitions_total', {
          operation: 'mark_lost',
          outcome: 'evicted',
        }) >= 1,
    );
  });

  it('fails a runner that exits non-zero without a report with its exit code and keeps its death log', async () => {
    const runId = await h.runWith([{ id: 'exit-crash' }]);
    const detail = await finishedRun(runId);
    const node = detail.nodes.find((n) => n.id === 'exit-crash')!;
    expect(node.status).toBe('failed');
    expect(node.result?.exit_code).toBe(3);
    expect(node.result?.failure_reason).toBeNull();
    const deathLog = await until(
      async () => (await h.admin.getRun(runId)).nodes.find((n) => n.id === 'exit-crash')?.death_log,
    );
    expect(deathLog).toContain('fatal: runner crashed');
  });

  it('skips the death log when the runner reported its own failure', async () => {
    const runId = await h.runWith([{ id: 'fail-tests' }]);
    const detail = await finishedRun(runId);
    const node = detail.nodes.find((n) => n.id === 'fail-tests')!;
    expect(node.error).toBe('tests failed');
    await until(
      async () =>
        sample(await h.metricsText(), 'sparkwing_runner_lifecycle_transitions_total', {
          operation: 'finish',
          outcome: 'failed',
        }) >= 2,
    );
    expect((await h.admin.getRun(runId)).nodes.find((n) => n.id === 'fail-tests')?.death_log).toBeNull();
  });

  it('counts a denied pods/log capture and still classifies the node', async () => {
    const before = sample(await h.metricsText(), 'sparkwing_death_logs_captured_total', {
      outcome: 'failed',
    });
    h.kube.cluster.denyPodLogs(true);
    try {
      const runId = await h.runWith([{ id: 'exit-denied' }]);
      const detail = await finishedRun(runId);
      expect(detail.nodes.find((n) => n.id === 'exit-denied')?.result?.exit_code).toBe(3);
      await until(
        async () =>
          sample(await h.metricsText(), 'sparkwing_death_logs_captured_total', { outcome: 'failed' }) >
          before,
      );
      expect(
        h.logLines.some((l) => l.msg === 'runner death log capture failed' && l.node_id === 'exit-denied'),
      ).toBe(true);
    } finally {
      h.kube.cluster.denyPodLogs(false);
    }
  });

  it('shows image pull back-off as status detail, then fails after the grace naming the image', async () => {
    const release = h.kube.cluster.holdImagePull('registry.test/sparkwing/runner:0.1.0');
    try {
      const runId = await h.runWith([{ id: 'ok-never' }]);
      const detail = await until(async () => {
        const d = (await h.admin.getRun(runId)).nodes[0]?.status_detail;
        return d?.includes('ImagePullBackOff') ? d : undefined;
      });
      expect(detail).toContain('ImagePullBackOff');
      const done = await finishedRun(runId);
      const plan = done.nodes.find((n) => n.id === '_plan')!;
      expect(plan.status).toBe('failed');
      expect(plan.error).toContain('registry.test/sparkwing/runner:0.1.0');
      expect(plan.result?.failure_reason).toBe('image_pull');
      const text = await h.metricsText();
      expect(
        sample(text, 'sparkwing_runner_spawn_failures_total', { reason: 'image_pull' }),
      ).toBeGreaterThanOrEqual(1);
      await until(
        async () =>
          (
            await h.batch.listNamespacedJob({
              namespace: NAMESPACE,
              labelSelector: `sparkwing.dev/run-id=${runId}`,
            })
          ).items.length === 0,
      );
    } finally {
      release();
    }
  });
});
