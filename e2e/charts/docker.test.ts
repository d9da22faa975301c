import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { find, render, umbrellaChart } from './helm.js';

const controllerEnv = async (args: string[] = []) => {
  const objects = await render(umbrellaChart, args);
  const deployment = find(objects, 'Deployment', 'sparkwing-controller');
  const env: Array<{ name: string; value?: string }> = deployment.spec.template.spec.containers[0].env;
  return Object.fromEntries(env.map((e) => [e.name, e.value]));
};

describe('container builds in the chart', () => {
  it('points runner Jobs at the dind Service and the in-cluster registry by default', async () => {
    const env = await controllerEnv();
    expect(env.SPARKWING_RUNNER_DOCKER).toBe('service');
    expect(env.SPARKWING_RUNNER_DOCKER_HOST).toBe('tcp://dind.sparkwing.svc.cluster.local:2375');
    expect(env.SPARKWING_REGISTRY).toBe('registry.registry.svc.cluster.local:5000');
    expect(env.SPARKWING_PVC_POOLS).toBeUndefined();
  });

  it('configures DinD sidecars, registry credentials and warm pools from values', async () => {
    const values = join(tmpdir(), `sparkwing-docker-values-${process.pid}.yaml`);
    writeFileSync(
      values,
      [
        'controller:',
        '  dispatcher:',
        '    docker:',
        '      mode: sidecar',
        '      registrySecret: registry-creds',
        '      pools:',
        '        - { name: docker, min: 2, max: 6, size: 50Gi, storageClass: fast, wait: 45s }',
      ].join('\n'),
    );
    const env = await controllerEnv(['-f', values]);
    expect(env.SPARKWING_RUNNER_DOCKER).toBe('sidecar');
    expect(env.SPARKWING_RUNNER_DOCKER_HOST).toBeUndefined();
    expect(env.SPARKWING_DIND_IMAGE).toBe('docker:28-dind');
    expect(env.SPARKWING_REGISTRY_SECRET).toBe('registry-creds');
    expect(JSON.parse(env.SPARKWING_PVC_POOLS!)).toEqual([
      { name: 'docker', min: 2, max: 6, size: '50Gi', storageClass: 'fast', wait: '45s' },
    ]);
    await expect(
      render(umbrellaChart, ['--set', 'controller.dispatcher.docker.mode=dood']),
    ).rejects.toThrow();
  });
});
