import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeHarness, kubeHarness, NAMESPACE, sample, until } from './harness.js';

let h: KubeHarness;
beforeAll(async () => {
  h = await kubeHarness();
  h.startDispatcher();
});
afterAll(async () => h?.close());

const jobsOf = async (runId: string) =>
  (await h.batch.listNamespacedJob({ namespace: NAMESPACE, labelSelector: `sparkwing.dev/run-id=${runId}` }))
    .items;

async function runningNode(runId: string, nodeId: string) {
  return until(async () => {
    const node = (await h.admin.getRun(runId)).nodes.find((n) => n.id === nodeId);
    return node?.status === 'running' ? node : undefined;
  });
}

describe('kubernetes dispatcher lifecycle', () => {
  it('re-adopts its Jobs after a controller restart without dispatching twice', async () => {
    const runId = await h.runWith([{ id: 'sleep-adopt' }]);
    const before = await runningNode(runId, 'sleep-adopt');
    await h.restartController();
    h.startDispatcher();
    await until(
      async () =>
        sample(await h.metricsText(), 'sparkwing_runner_lifecycle_transitions_total', {
          operation: 'reclaim',
          origin: 'adopt',
        }) >= 1,
    );
    const jobs = await jobsOf(runId);
    expect(
      jobs.filter((j) => j.metadata?.annotations?.['sparkwing.dev/node-id'] === 'sleep-adopt'),
    ).toHaveLength(1);
    const after = (await h.admin.getRun(runId)).nodes.find((n) => n.id === 'sleep-adopt')!;
    expect(after.status).toBe('running');
    expect(after.runner_id).toBe(before.runner_id);
    // The adopted Job is still watched: losing its pod is classified right away.
    const pods = await h.core.listNamespacedPod({
      namespace: NAMESPACE,
      labelSelector: 'sparkwing.dev/node-id=sleep-adopt',
    });
    await h.core.deleteNamespacedPod({ name: pods.items[0]!.metadata!.name!, namespace: NAMESPACE });
    const lost = await until(async () => {
      const node = (await h.admin.getRun(runId)).nodes.find((n) => n.id === 'sleep-adopt');
      return node?.status === 'failed' ? node : undefined;
    });
    expect(lost.result?.failure_reason).toBe('agent_lost');
  });

  it('deletes the Jobs of a cancelled run', async () => {
    const runId = await h.runWith([{ id: 'sleep-cancel-a' }, { id: 'sleep-cancel-b' }]);
    await runningNode(runId, 'sleep-cancel-a');
    await runningNode(runId, 'sleep-cancel-b');
    await until(
      async () => sample(await h.metricsText(), 'sparkwing_runner_jobs', { state: 'running' }) >= 2,
    );
    await h.admin.cancelRun(runId);
    await until(async () => (await jobsOf(runId)).length === 0);
    const detail = await until(async () => {
      const d = await h.admin.getRun(runId);
      return d.run.status === 'cancelled' ? d : undefined;
    });
    expect(detail.nodes.filter((n) => n.id.startsWith('sleep')).map((n) => n.status)).toEqual([
      'cancelled',
      'cancelled',
    ]);
    const text = await h.metricsText();
    expect(sample(text, 'sparkwing_runner_drain_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(
      sample(text, 'sparkwing_runner_lifecycle_transitions_total', {
        operation: 'drain',
        outcome: 'success',
      }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('polls Job states, health checks and stranded Jobs into the metrics', async () => {
    const runId = await h.runWith([{ id: 'ok-gauge' }]);
    await until(async () => (await h.admin.getRun(runId)).run.status === 'success');
    await until(
      async () => sample(await h.metricsText(), 'sparkwing_runner_jobs', { state: 'succeeded' }) >= 2,
    );
    await until(
      async () =>
        sample(await h.metricsText(), 'sparkwing_runner_stranded_jobs_reconciled_total', {
          outcome: 'kept',
        }) >= 2,
    );
    const text = await h.metricsText();
    expect(sample(text, 'sparkwing_runner_health_checks_total', { result: 'pass' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      sample(text, 'sparkwing_runner_lifecycle_transition_duration_seconds_count', { operation: 'spawn' }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('resumes its pod watch after a disconnect and relists after 410 Gone', async () => {
    h.kube.cluster.closeWatches();
    const first = await h.runWith([{ id: 'exit-resume' }]);
    await until(async () => (await h.admin.getRun(first)).run.status === 'failed');
    h.kube.cluster.compactWatchHistory();
    h.kube.cluster.closeWatches();
    const second = await h.runWith([{ id: 'sleep-relist' }]);
    await runningNode(second, 'sleep-relist');
    const pods = await h.core.listNamespacedPod({
      namespace: NAMESPACE,
      labelSelector: 'sparkwing.dev/node-id=sleep-relist',
    });
    h.kube.cluster.evictPod(NAMESPACE, pods.items[0]!.metadata!.name!, 'node shutdown');
    const lost = await until(async () => {
      const node = (await h.admin.getRun(second)).nodes.find((n) => n.id === 'sleep-relist');
      return node?.status === 'failed' ? node : undefined;
    });
    expect(lost.error).toContain('node shutdown');
    expect(h.logLines.some((l) => l.msg === 'runner pods listed' && l.reason === 'gone')).toBe(true);
  });
});
