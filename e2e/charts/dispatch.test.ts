import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { byKind, containerEnv, find, type K8sObject, render, repoRoot, umbrellaChart } from './helm.js';

/** The Secret and key the controller tells the dispatcher to hand runner Jobs as SPARKWING_RUNNER_TOKEN. */
function runnerTokenRef(objects: K8sObject[]): { name?: string; key?: string } {
  const env = containerEnv(find(objects, 'Deployment', 'sparkwing-controller'));
  return { name: env.SPARKWING_RUNNER_TOKEN_SECRET, key: env.SPARKWING_RUNNER_TOKEN_SECRET_KEY };
}

describe('what the dispatcher hands runner Jobs, as rendered', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await render(umbrellaChart);
  });

  it('hands runner Jobs no runner token: a worker does everything with its node token (least privilege)', () => {
    expect(runnerTokenRef(objects)).toEqual({ name: undefined, key: undefined });
    // The warm pool claims work, so it reads the claim-only runner token from the chart's shared Secret.
    const warm = containerEnv(find(objects, 'Deployment', 'sparkwing-runner'));
    expect(warm.SPARKWING_RUNNER_TOKEN).toBe('secret:sparkwing-shared/SPARKWING_RUNNER_TOKEN');
    const secret = find(objects, 'Secret', 'sparkwing-shared');
    expect(Object.keys(secret.data ?? {})).toContain('SPARKWING_RUNNER_TOKEN');
  });

  it('follows a Secret an operator names (key `token` unless told)', async () => {
    const named = await render(umbrellaChart, ['--set', 'controller.dispatcher.runnerTokenSecret=own']);
    expect(runnerTokenRef(named)).toEqual({ name: 'own', key: 'token' });
    const keyed = await render(umbrellaChart, [
      '--set',
      'controller.dispatcher.runnerTokenSecret=own',
      '--set',
      'controller.dispatcher.runnerTokenSecretKey=RUNNER',
    ]);
    expect(runnerTokenRef(keyed)).toEqual({ name: 'own', key: 'RUNNER' });
  });

  it('runs runner pods as the runner image user, the uid the runner chart uses too', () => {
    const dockerfile = readFileSync(join(repoRoot, 'services/runner/Dockerfile'), 'utf8');
    const imageUser = Number(/^USER (\d+)/m.exec(dockerfile)?.[1]);
    expect(imageUser).toBe(10001);
    const env = containerEnv(find(objects, 'Deployment', 'sparkwing-controller'));
    // Unset: the dispatcher's default, 10001 (docs/kubernetes.md); a value must match the image.
    expect(env.SPARKWING_RUNNER_UID ?? '10001').toBe(String(imageUser));
    const warm = find(objects, 'Deployment', 'sparkwing-runner').spec.template.spec;
    expect(warm.securityContext.runAsUser).toBe(imageUser);
    const mounts = warm.containers[0].volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    expect(mounts).toEqual(expect.arrayContaining(['/home/sparkwing', '/tmp']));
  });
});

describe('a CLI outside the cluster (ci/laptop-values.yaml)', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await render(umbrellaChart, ['-f', join(umbrellaChart, 'ci/laptop-values.yaml')]);
  });

  it('reaches the controller API, the cache and the logs service each through an Ingress', () => {
    const routes = Object.fromEntries(
      byKind(objects, 'Ingress').map((ingress) => {
        const rule = ingress.spec.rules[0];
        const paths = rule.http.paths.map(
          (p: { path: string; backend: { service: { name: string; port: { name: string } } } }) => {
            expect(p.backend.service.port.name).toBe('http');
            find(objects, 'Service', p.backend.service.name);
            return `${rule.host}${p.path} -> ${p.backend.service.name}`;
          },
        );
        return [ingress.metadata.name, paths];
      }),
    );
    expect(routes).toEqual({
      'sparkwing-controller': [
        'sparkwing.example.com/api -> sparkwing-controller',
        'sparkwing.example.com/webhooks/github -> sparkwing-controller',
      ],
      'sparkwing-cache': ['cache.sparkwing.example.com/ -> sparkwing-cache'],
      'sparkwing-logs': ['logs.sparkwing.example.com/ -> sparkwing-logs'],
    });
  });

  it('lets external traffic through the cache and logs NetworkPolicies, on their service port only', async () => {
    const external = (objs: K8sObject[], name: string) =>
      find(objs, 'NetworkPolicy', name)
        .spec.ingress.filter((r: { from: Array<{ ipBlock?: { cidr: string } }> }) =>
          r.from.some((p) => p.ipBlock?.cidr === '0.0.0.0/0'),
        )
        .flatMap((r: { ports: Array<{ port: number }> }) => r.ports.map((p) => p.port));
    expect(external(objects, 'sparkwing-cache')).toEqual([8090]);
    expect(external(objects, 'sparkwing-logs')).toEqual([8091]);
    // Off by default: the seed table (network-policy.test.ts) stays exact.
    const plain = await render(umbrellaChart);
    expect(external(plain, 'sparkwing-cache')).toEqual([]);
    expect(external(plain, 'sparkwing-logs')).toEqual([]);
    expect(byKind(plain, 'Ingress')).toEqual([]);
  });
});
