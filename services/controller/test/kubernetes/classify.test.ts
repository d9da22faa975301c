import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryCgroupsWritable } from '@sparkwing/fake-kube';
import { type KubeHarness, kubeHarness, NAMESPACE, sample, until } from './harness.js';

let h: KubeHarness;
beforeAll(async () => {
  h = await kubeHarness({ env: { SPARKWING_IMAGE_PULL_GRACE: '1500ms', SPARKWING_RUNNER_JOB_TTL: '4s' } });
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
    const runId = await h.runWith([{ id: 'ok-a' }, { id: 'ok-b', needs: ['ok-a'] }, { id: 'ok-c', needs: ['ok-a'] }]);
    const detail = await finishedRun(runId);
    expect(detail.run.status).toBe('success');
    expect(detail.nodes.map((n) => n.status)).toEqual(['success', 'success', 'success', 'success']);
    const jobs = await h.batch.listNamespacedJob({ namespace: NAMESPACE, labelSelector: `sparkwing.dev/run-id=${runId}` });
    expect(jobs.items).toHaveLength(4);
    const job = jobs.items.find((j) => j.metadata?.annotations?.['sparkwing.dev/node-id'] === 'ok-a')!;
    const spec = job.spec!;
    expect(spec.backoffLimit).toBe(0);
    expect(spec.template.spec?.restartPolicy).toBe('Never');
    const container = spec.template.spec!.containers[0]!;
    expect(container.securityContext?.capabilities?.drop).toEqual(['ALL']);
    expect(container.env?.find((e) => e.name === 'SPARKWING_AGENT_TOKEN')?.valueFrom?.secretKeyRef?.name).toBe(job.metadata?.name);
    expect(container.env?.some((e) => e.name === 'SPARKWING_AGENT_TOKEN' && e.value)).toBe(false);
    const count = async (operation: string) =>
      sample(await h.metricsText(), 'sparkwing_runner_lifecycle_transitions_total', { operation, outcome: 'success' });
    await until(async () => (await count('finish')) >= 4);
    expect(await count('spawn')).toBeGreaterThanOrEqual(4);
    expect(await count('start')).toBeGreaterThanOrEqual(4);
  });

  it.runIf(memoryCgroupsWritable())('fails an OOM-killed runner oom_killed with the death log captured', async () => {
    const runId = await h.runWith([{ id: 'oom-1', resources: { memory: '96Mi' } }]);
    const detail = await finishedRun(runId);
    const node = detail.nodes.find((n) => n.id === 'oom-1')!;
    expect(node.status).toBe('failed');
    expect(node.result?.failure_reason).toBe('oom_killed');
    expect(node.result?.exit_code).toBe(137);
    const deathLog = await until(async () => (await h.admin.getRun(runId)).nodes.find((n) => n.id === 'oom-1')?.death_log);
    expect(deathLog).toContain('allocating until the cgroup limit');
    const line = await until(() => h.logLines.find((l) => l.msg === 'runner death log captured' && l.node_id === 'oom-1'));
    expect(line).toMatchObject({ run_id: runId, node_id: 'oom-1' });
    expect(String(line.pod)).toMatch(/^sw-/);
    expect(line.ended_at).toBeTruthy();
    // The TTL reaps the Job and its pod afterwards; the stored death log survives it.
    await until(async () => (await h.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'sparkwing.dev/node-id=oom-1' })).items.length === 0, 30_000);
    expect((await h.admin.getRun(runId)).nodes.find((n) => n.id === 'oom-1')?.death_log).toContain('allocating');
  });
});
