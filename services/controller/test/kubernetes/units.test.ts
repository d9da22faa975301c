import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { boundTail, DEATH_LOG_MAX_BYTES } from '../../src/dispatch/kubernetes/death-log.js';
import { buildJob, jobName, labelValue } from '../../src/dispatch/kubernetes/job-spec.js';
import { parseKubernetesDispatchConfig } from '../../src/dispatch/kubernetes/index.js';
import { RunnerLifecycleMetrics } from '../../src/dispatch/kubernetes/metrics.js';

async function values(registry: Registry, name: string) {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []) as Array<{
    labels: Record<string, string>;
    value: number;
    metricName?: string;
  }>;
}

describe('lifecycle metric normalisation', () => {
  it('drops a sample with an empty operation', async () => {
    const registry = new Registry();
    const m = new RunnerLifecycleMetrics(registry);
    m.observeTransition({
      operation: '',
      outcome: 'success',
      image: 'img',
      origin: 'dispatch',
      durationS: 1,
    });
    expect(await values(registry, 'sparkwing_runner_lifecycle_transitions_total')).toEqual([]);
  });

  it('labels an empty origin or image unknown', async () => {
    const registry = new Registry();
    const m = new RunnerLifecycleMetrics(registry);
    m.observeTransition({ operation: 'spawn', outcome: 'success', image: '', origin: '' });
    m.observeSpawnFailure('job_create', '');
    m.observeHealthCheck('pass', '');
    const [transition] = await values(registry, 'sparkwing_runner_lifecycle_transitions_total');
    expect(transition?.labels).toEqual({
      operation: 'spawn',
      outcome: 'success',
      image: 'unknown',
      origin: 'unknown',
    });
    expect((await values(registry, 'sparkwing_runner_spawn_failures_total'))[0]?.labels.image).toBe(
      'unknown',
    );
    expect((await values(registry, 'sparkwing_runner_health_checks_total'))[0]?.labels.image).toBe('unknown');
  });

  it('clamps negative durations to zero', async () => {
    const registry = new Registry();
    const m = new RunnerLifecycleMetrics(registry);
    m.observeTransition({
      operation: 'start',
      outcome: 'success',
      image: 'img',
      origin: 'pod_watch',
      durationS: -5,
    });
    m.observeDrain(-2);
    const sum = (await values(registry, 'sparkwing_runner_lifecycle_transition_duration_seconds')).find((v) =>
      v.metricName?.endsWith('_sum'),
    );
    expect(sum?.value).toBe(0);
    const drainSum = (await values(registry, 'sparkwing_runner_drain_duration_seconds')).find((v) =>
      v.metricName?.endsWith('_sum'),
    );
    expect(drainSum?.value).toBe(0);
  });

  it('exports every job state at zero before the first poll', async () => {
    const registry = new Registry();
    new RunnerLifecycleMetrics(registry);
    const states = (await values(registry, 'sparkwing_runner_jobs')).map((v) => v.labels.state).sort();
    expect(states).toEqual(['failed', 'pending', 'running', 'succeeded']);
  });
});

describe('runner job spec', () => {
  it('derives deterministic DNS-safe names of at most 63 characters', () => {
    const long = jobName(
      'run_0mwrwdehfewt45pkg',
      'a.very_long-node.name.that.keeps.going.and.going.forever',
      12,
    );
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(jobName('run_1', 'build', 1)).toBe(jobName('run_1', 'build', 1));
    expect(jobName('run_1', 'build', 1)).not.toBe(jobName('run_1', 'build', 2));
    expect(jobName('run_1', 'a.b', 1)).not.toBe(jobName('run_1', 'a_b', 1));
  });

  it('keeps label values valid', () => {
    expect(labelValue('_plan')).toBe('plan');
    expect(labelValue('x'.repeat(100))).toHaveLength(63);
  });

  it('builds the Job from node resources, timeout and config', () => {
    const config = parseKubernetesDispatchConfig({
      SPARKWING_RUNNER_DEADLINE_GRACE: '5m',
      SPARKWING_RUNNER_JOB_TTL: '10m',
    });
    const job = buildJob(
      'sw-x',
      { runId: 'r', nodeId: 'n', attempt: 1, resources: { memory: '1Gi' }, timeoutS: 600 },
      config,
    );
    expect(job.spec?.activeDeadlineSeconds).toBe(900);
    expect(job.spec?.ttlSecondsAfterFinished).toBe(600);
    const container = job.spec!.template.spec!.containers[0]!;
    expect(container.resources?.limits).toEqual({ cpu: '1', memory: '1Gi' });
    expect(container.env?.map((e) => e.name)).toEqual([
      'SPARKWING_CONTROLLER_URL',
      'SPARKWING_LOGS_URL',
      'SPARKWING_CACHE_URL',
      'SPARKWING_RUN_ID',
      'SPARKWING_NODE_ID',
      'HOME',
      'SPARKWING_HOME',
      'SPARKWING_AGENT_TOKEN',
    ]);
    expect(job.spec?.template.spec?.securityContext?.runAsNonRoot).toBe(true);
  });

  it('runs as the runner image user with a writable HOME and /tmp under a read-only root', () => {
    const job = buildJob(
      'sw-x',
      { runId: 'r', nodeId: 'n', attempt: 1, resources: {}, timeoutS: null },
      parseKubernetesDispatchConfig({}),
    );
    const pod = job.spec!.template.spec!;
    const container = pod.containers[0]!;
    // The image's USER is 10001 and owns /home/sparkwing.
    expect(pod.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 });
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    expect(env.HOME).toBe('/home/sparkwing');
    expect(env.SPARKWING_HOME).toBe('/home/sparkwing/.sparkwing');
    const emptyDirs = new Set((pod.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
    const writable = (container.volumeMounts ?? [])
      .filter((m) => emptyDirs.has(m.name))
      .map((m) => m.mountPath);
    expect(writable.sort()).toEqual(['/home/sparkwing', '/tmp']);
  });

  it('hands runner pods the runner token from the named Secret and key', () => {
    const tokenEnv = (env: Record<string, string>) =>
      buildJob(
        'sw-x',
        { runId: 'r', nodeId: 'n', attempt: 1, resources: {}, timeoutS: null },
        parseKubernetesDispatchConfig(env),
      ).spec!.template.spec!.containers[0]!.env?.find((e) => e.name === 'SPARKWING_RUNNER_TOKEN');
    expect(tokenEnv({})).toBeUndefined();
    expect(tokenEnv({ SPARKWING_RUNNER_TOKEN_SECRET: 'own' })?.valueFrom?.secretKeyRef).toEqual({
      name: 'own',
      key: 'token',
    });
    expect(
      tokenEnv({
        SPARKWING_RUNNER_TOKEN_SECRET: 'sparkwing-shared',
        SPARKWING_RUNNER_TOKEN_SECRET_KEY: 'SPARKWING_RUNNER_TOKEN',
      })?.valueFrom?.secretKeyRef,
    ).toEqual({ name: 'sparkwing-shared', key: 'SPARKWING_RUNNER_TOKEN' });
  });

  it('rejects malformed config with a readable error', () => {
    expect(() => parseKubernetesDispatchConfig({ SPARKWING_RUNNER_NODE_SELECTOR: 'pool' })).toThrow(
      /key=value/,
    );
    expect(() => parseKubernetesDispatchConfig({ SPARKWING_RUNNER_TOLERATIONS: '{' })).toThrow(/tolerations/);
  });

  it('parses Docker modes and warm pools, serving their labels, and rejects inconsistent pools', () => {
    const sidecar = parseKubernetesDispatchConfig({
      SPARKWING_RUNNER_DOCKER: 'sidecar',
      SPARKWING_PVC_POOLS: '[{"name":"docker","min":1,"max":3,"size":"20Gi","wait":"45s"}]',
    });
    expect(sidecar.servedLabels).toEqual(['kubernetes', 'docker', 'cache:docker']);
    expect(sidecar.docker.pools).toEqual([{ name: 'docker', min: 1, max: 3, size: '20Gi', waitMs: 45_000 }]);
    expect(parseKubernetesDispatchConfig({}).servedLabels).toEqual(['kubernetes']);
    expect(() =>
      parseKubernetesDispatchConfig({ SPARKWING_PVC_POOLS: '[{"name":"docker","max":1,"size":"1Gi"}]' }),
    ).toThrow(/needs SPARKWING_RUNNER_DOCKER=sidecar/);
    expect(() =>
      parseKubernetesDispatchConfig({
        SPARKWING_RUNNER_DOCKER: 'sidecar',
        SPARKWING_PVC_POOLS: '[{"name":"docker","min":4,"max":1,"size":"1Gi"}]',
      }),
    ).toThrow(/min > max/);
    expect(() =>
      parseKubernetesDispatchConfig({
        SPARKWING_RUNNER_DOCKER: 'sidecar',
        SPARKWING_PVC_POOLS: '[{"name":"Docker"}]',
      }),
    ).toThrow(/DNS label/);
    const sidecarPools = (pools: string) => () =>
      parseKubernetesDispatchConfig({ SPARKWING_RUNNER_DOCKER: 'sidecar', SPARKWING_PVC_POOLS: pools });
    expect(sidecarPools('[{')).toThrow(/JSON array of pools/);
    const pool = '{"name":"docker","max":1,"size":"1Gi"}';
    expect(sidecarPools(`[${pool},${pool}]`)).toThrow(/pool names must be unique/);
    expect(() => parseKubernetesDispatchConfig({ SPARKWING_REGISTRY: 'http://registry:5000' })).toThrow(
      /scheme/,
    );
  });
});

describe('death log bounds', () => {
  it('keeps the last 200 lines and at most 64 KiB', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n');
    const tail = boundTail(lines);
    expect(tail.split('\n')).toHaveLength(200);
    expect(tail.endsWith('line 499')).toBe(true);
    const wide = Array.from({ length: 100 }, () => 'x'.repeat(2_000)).join('\n');
    expect(Buffer.byteLength(boundTail(wide))).toBeLessThanOrEqual(DEATH_LOG_MAX_BYTES);
    expect(boundTail('')).toBe('');
  });
});
