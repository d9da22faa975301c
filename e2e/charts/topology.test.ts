import { beforeAll, describe, expect, it } from 'vitest';
import { byKind, containerEnv, find, type K8sObject, render, umbrellaChart } from './helm.js';
import { NAMESPACE, RUNNER_ENV, SERVICES, STORAGE } from './seed.js';

const url = (svc: keyof typeof SERVICES) => `http://${SERVICES[svc].host}`;

describe('umbrella chart with default values: the seed 002 topology', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await render(umbrellaChart);
  });

  it('renders one Deployment per pod of the topology plus the runner warm pool', () => {
    const names = byKind(objects, 'Deployment').map((d) => d.metadata.name);
    expect(names.sort()).toEqual(
      [
        'dind',
        'registry',
        'sparkwing-cache',
        'sparkwing-controller',
        'sparkwing-logs',
        'sparkwing-runner',
        'sparkwing-web',
      ].sort(),
    );
  });

  it('names every Service and port as the seed does (namespace sparkwing, registry in its own)', () => {
    for (const [key, seed] of Object.entries(SERVICES)) {
      const service = find(objects, 'Service', seed.name);
      const [namespace] = seed.host.split('.').slice(1, 2);
      expect(service.metadata.namespace, key).toBe(namespace);
      expect(service.spec.ports).toHaveLength(1);
      const [port] = service.spec.ports;
      expect(port.port, `${key} service port`).toBe(seed.port);
      // targetPort is the container port's name: resolve it on the Deployment.
      const deployment = find(objects, 'Deployment', seed.name);
      const containerPort = deployment.spec.template.spec.containers[0].ports.find(
        (p: { name: string }) => p.name === port.targetPort,
      );
      expect(containerPort?.containerPort, `${key} target port`).toBe(seed.targetPort);
      if ('nodePort' in seed) {
        expect(service.spec.type).toBe('NodePort');
        expect(port.nodePort).toBe(seed.nodePort);
      }
    }
  });

  it('puts the in-cluster registry into the `registry` namespace it creates', () => {
    expect(find(objects, 'Namespace', 'registry')).toBeDefined();
    expect(find(objects, 'Deployment', 'registry').metadata.namespace).toBe('registry');
    for (const o of objects.filter(
      (x) => x.kind !== 'Namespace' && !x.metadata.name.startsWith('registry'),
    )) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(NAMESPACE);
    }
  });

  it('wires every service to its peers by the seed DNS names', () => {
    const controller = containerEnv(find(objects, 'Deployment', 'sparkwing-controller'));
    expect(controller).toMatchObject({
      PORT: '8080',
      SPARKWING_DATA_DIR: '/data',
      SPARKWING_CACHE_URL: url('cache'),
      SPARKWING_LOGS_URL: url('logs'),
      SPARKWING_SIGNING_KEY: 'secret:sparkwing-shared/SPARKWING_SIGNING_KEY',
      SPARKWING_SECRET_KEY: 'secret:sparkwing-controller-secrets/SPARKWING_SECRET_KEY',
      GITHUB_WEBHOOK_SECRET: 'secret:sparkwing-controller-secrets/GITHUB_WEBHOOK_SECRET',
      SPARKWING_DISPATCHER: 'kubernetes',
      POD_NAMESPACE: 'field:metadata.namespace',
      SPARKWING_RUNNER_CONTROLLER_URL: url('controller'),
      SPARKWING_RUNNER_LOGS_URL: url('logs'),
      SPARKWING_RUNNER_CACHE_URL: url('cache'),
      SPARKWING_RUNNER_SERVICE_ACCOUNT: 'sparkwing-runner',
      SPARKWING_RUNNER_IMAGE: 'ghcr.io/sparkwing/runner:0.1.0',
    });

    for (const name of ['sparkwing-logs', 'sparkwing-cache']) {
      expect(containerEnv(find(objects, 'Deployment', name)), name).toMatchObject({
        SPARKWING_DATA_DIR: '/data',
        SPARKWING_CONTROLLER_URL: url('controller'),
        // One Secret carries the signing key all three read.
        SPARKWING_SIGNING_KEY: 'secret:sparkwing-shared/SPARKWING_SIGNING_KEY',
      });
    }
    expect(containerEnv(find(objects, 'Deployment', 'sparkwing-logs')).PORT).toBe('8091');
    expect(containerEnv(find(objects, 'Deployment', 'sparkwing-cache')).PORT).toBe('8090');

    expect(containerEnv(find(objects, 'Deployment', 'sparkwing-web'))).toMatchObject({
      PORT: '3100',
      SPARKWING_CONTROLLER_URL: url('controller'),
      SPARKWING_LOGS_URL: url('logs'),
      SPARKWING_SESSION_SECRET: 'secret:sparkwing-web-secrets/SPARKWING_SESSION_SECRET',
    });
  });

  it("gives the runner warm pool the seed's runner env, a token from a Secret and DinD", () => {
    const runner = find(objects, 'Deployment', 'sparkwing-runner');
    const env = containerEnv(runner);
    for (const name of RUNNER_ENV) expect(env[name], name).toBeDefined();
    expect(env).toMatchObject({
      SPARKWING_CONTROLLER_URL: url('controller'),
      SPARKWING_LOGS_URL: url('logs'),
      SPARKWING_CACHE_URL: url('cache'),
      SPARKWING_RUNNER_TOKEN: 'secret:sparkwing-shared/SPARKWING_RUNNER_TOKEN',
      DOCKER_HOST: `tcp://${SERVICES.dind.host}:2375`,
      SPARKWING_REGISTRY: `${SERVICES.registry.host}:5000`,
    });
    const container = runner.spec.template.spec.containers[0];
    expect(container.args.slice(0, 1)).toEqual(['runner']);
    expect(container.ports[0]).toMatchObject({ name: 'metrics', containerPort: 9090 });
  });

  it('runs the controller as exactly one replica with Recreate and its state on a PVC at /data', () => {
    const controller = find(objects, 'Deployment', 'sparkwing-controller');
    expect(controller.spec.replicas).toBe(1);
    expect(controller.spec.strategy).toEqual({ type: 'Recreate' });
    const pod = controller.spec.template.spec;
    const dataMount = pod.containers[0].volumeMounts.find(
      (m: { mountPath: string }) => m.mountPath === '/data',
    );
    const volume = pod.volumes.find((v: { name: string }) => v.name === dataMount.name);
    expect(volume.persistentVolumeClaim.claimName).toBe('sparkwing-controller-data');
  });

  it('claims storage where the seed lists it, mounted where each component keeps its data', () => {
    const claims = byKind(objects, 'PersistentVolumeClaim');
    for (const [component, path] of Object.entries(STORAGE)) {
      const name = component === 'dind' || component === 'registry' ? component : `sparkwing-${component}`;
      const claim = claims.find((c) => c.metadata.name === `${name}-data`);
      expect(claim, `${component} PVC`).toBeDefined();
      expect(claim?.spec.resources.requests.storage).toMatch(/^\d+Gi$/);
      const pod = find(objects, 'Deployment', name).spec.template.spec;
      const volume = pod.volumes.find(
        (v: { persistentVolumeClaim?: { claimName: string } }) =>
          v.persistentVolumeClaim?.claimName === `${name}-data`,
      );
      const mount = pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === volume.name);
      expect(mount.mountPath, component).toBe(path);
    }
    expect(claims).toHaveLength(Object.keys(STORAGE).length);
    // The web dashboard and runners keep nothing.
    for (const name of ['sparkwing-web', 'sparkwing-runner']) {
      const volumes = find(objects, 'Deployment', name).spec.template.spec.volumes ?? [];
      expect(volumes.every((v: { persistentVolumeClaim?: unknown }) => !v.persistentVolumeClaim)).toBe(true);
    }
  });

  it('gives each component its own ServiceAccount; only the controller mounts an API token', () => {
    const accounts = byKind(objects, 'ServiceAccount').map((s) => s.metadata.name);
    expect(accounts.sort()).toEqual(
      [
        'dind',
        'registry',
        'sparkwing-cache',
        'sparkwing-controller',
        'sparkwing-logs',
        'sparkwing-runner',
        'sparkwing-web',
      ].sort(),
    );
    for (const deployment of byKind(objects, 'Deployment')) {
      const pod = deployment.spec.template.spec;
      expect(pod.serviceAccountName).toBe(deployment.metadata.name);
      expect(pod.automountServiceAccountToken, deployment.metadata.name).toBe(
        deployment.metadata.name === 'sparkwing-controller',
      );
    }
  });

  it('follows global.serviceNames and the release namespace in names and wiring', async () => {
    const renamed = await render(umbrellaChart, [
      '--set',
      'global.serviceNames.logs=logstore',
      '--namespace',
      'ci-system',
    ]);
    expect(find(renamed, 'Service', 'logstore').metadata.namespace).toBe('ci-system');
    const web = containerEnv(find(renamed, 'Deployment', 'sparkwing-web'));
    expect(web.SPARKWING_LOGS_URL).toBe('http://logstore.ci-system.svc.cluster.local');
    expect(web.SPARKWING_CONTROLLER_URL).toBe('http://sparkwing-controller.ci-system.svc.cluster.local');
  });
});
