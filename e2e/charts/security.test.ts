import { beforeAll, describe, expect, it } from 'vitest';
import { byKind, type K8sObject, render, umbrellaChart } from './helm.js';

// dind is the documented exception: dockerd needs root and a privileged container.
const PRIVILEGED_EXCEPTION = 'dind';

describe('every workload of the umbrella chart', () => {
  let deployments: K8sObject[];
  beforeAll(async () => {
    deployments = byKind(await render(umbrellaChart), 'Deployment');
    expect(deployments.length).toBe(7);
  });

  it('has readiness and liveness probes on every container', () => {
    for (const deployment of deployments) {
      for (const container of deployment.spec.template.spec.containers) {
        const where = `${deployment.metadata.name}/${container.name}`;
        expect(container.readinessProbe, `${where} readiness`).toBeDefined();
        expect(container.livenessProbe, `${where} liveness`).toBeDefined();
      }
    }
  });

  it('probes the health route each service serves', () => {
    const paths = Object.fromEntries(
      deployments.map((d) => [
        d.metadata.name,
        d.spec.template.spec.containers[0].readinessProbe.httpGet?.path,
      ]),
    );
    expect(paths).toEqual({
      'sparkwing-controller': '/api/v1/health',
      'sparkwing-cache': '/health',
      'sparkwing-logs': '/api/v1/health',
      'sparkwing-web': '/api/health',
      'sparkwing-runner': '/healthz',
      registry: '/v2/',
      // dockerd answers no HTTP route: a TCP check on 2375 (and `docker info` for liveness).
      dind: undefined,
    });
    const dind = deployments.find((d) => d.metadata.name === 'dind')?.spec.template.spec.containers[0];
    expect(dind.readinessProbe.tcpSocket.port).toBe('docker');
  });

  it('sets CPU and memory requests and limits on every container', () => {
    for (const deployment of deployments) {
      for (const container of deployment.spec.template.spec.containers) {
        const where = `${deployment.metadata.name}/${container.name}`;
        expect(container.resources?.requests?.cpu, where).toBeDefined();
        expect(container.resources?.requests?.memory, where).toBeDefined();
        expect(container.resources?.limits?.cpu, where).toBeDefined();
        expect(container.resources?.limits?.memory, where).toBeDefined();
      }
    }
  });

  it('runs non-root, read-only, without privilege escalation and with all capabilities dropped (dind excepted)', () => {
    for (const deployment of deployments) {
      const pod = deployment.spec.template.spec;
      const name = deployment.metadata.name;
      if (name === PRIVILEGED_EXCEPTION) continue;
      expect(pod.securityContext.runAsNonRoot, name).toBe(true);
      expect(pod.securityContext.runAsUser, name).toBeGreaterThan(0);
      expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      for (const container of pod.containers) {
        expect(container.securityContext, name).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.securityContext.privileged, name).toBeUndefined();
        // A read-only root filesystem needs somewhere to write: /tmp at least.
        const mounts = container.volumeMounts.map((m: { mountPath: string }) => m.mountPath);
        expect(mounts, name).toContain('/tmp');
      }
    }
  });

  it('keeps the dind exception to dind alone and says so in its values', () => {
    const privileged = deployments.filter((d) =>
      d.spec.template.spec.containers.some(
        (c: { securityContext?: { privileged?: boolean } }) => c.securityContext?.privileged,
      ),
    );
    expect(privileged.map((d) => d.metadata.name)).toEqual([PRIVILEGED_EXCEPTION]);
  });

  it('uses images from the global registry and tag', async () => {
    const custom = byKind(
      await render(umbrellaChart, [
        '--set',
        'global.image.registry=registry.internal/ci',
        '--set',
        'global.image.tag=1.2.3',
      ]),
      'Deployment',
    );
    const images = Object.fromEntries(
      custom.map((d) => [d.metadata.name, d.spec.template.spec.containers[0].image]),
    );
    expect(images).toMatchObject({
      'sparkwing-controller': 'registry.internal/ci/controller:1.2.3',
      'sparkwing-cache': 'registry.internal/ci/cache:1.2.3',
      'sparkwing-logs': 'registry.internal/ci/logs:1.2.3',
      'sparkwing-web': 'registry.internal/ci/web:1.2.3',
      'sparkwing-runner': 'registry.internal/ci/runner:1.2.3',
    });
  });
});
