import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { byKind, find, type K8sObject, render, umbrellaChart } from './helm.js';

describe('CI values: ServiceMonitors and the Ingress on', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await render(umbrellaChart, ['-f', join(umbrellaChart, 'ci/monitoring-ingress-values.yaml')]);
  });

  it('renders a ServiceMonitor per service on /metrics of its http port, and a PodMonitor for runners', () => {
    const monitors = byKind(objects, 'ServiceMonitor');
    expect(monitors.map((m) => m.metadata.name).sort()).toEqual([
      'sparkwing-cache',
      'sparkwing-controller',
      'sparkwing-logs',
      'sparkwing-web',
    ]);
    for (const monitor of monitors) {
      expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
      // The monitor selects exactly its Service.
      const service = find(objects, 'Service', monitor.metadata.name);
      for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels))
        expect(service.metadata.labels?.[k]).toBe(v);
    }
    expect(find(objects, 'ServiceMonitor', 'sparkwing-controller').metadata.labels?.release).toBe(
      'prometheus',
    );
    const podMonitor = find(objects, 'PodMonitor', 'sparkwing-runner');
    // Dispatcher Jobs carry the same name label as the warm pool, so both are scraped.
    expect(podMonitor.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'sparkwing-runner' });
    expect(podMonitor.spec.podMetricsEndpoints).toEqual([
      expect.objectContaining({ port: 'metrics', path: '/metrics' }),
    ]);
  });

  it('lets Prometheus through the NetworkPolicies to the scraped ports only', () => {
    const ports: Record<string, number> = {
      'sparkwing-controller': 8080,
      'sparkwing-cache': 8090,
      'sparkwing-logs': 8091,
      'sparkwing-web': 3100,
      'sparkwing-runner': 9090,
    };
    for (const [name, port] of Object.entries(ports)) {
      const policy = find(objects, 'NetworkPolicy', name);
      const scrape = policy.spec.ingress.find(
        (rule: { from: Array<{ namespaceSelector?: unknown }> }) => rule.from[0]?.namespaceSelector,
      );
      expect(scrape, name).toEqual({
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ protocol: 'TCP', port }],
      });
    }
  });

  it('routes the dashboard and the webhook path through one Ingress with TLS', () => {
    const ingress = find(objects, 'Ingress', 'sparkwing-web');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.tls).toEqual([{ hosts: ['ci.sparkwing.example.com'], secretName: 'sparkwing-tls' }]);
    const [rule] = ingress.spec.rules;
    expect(rule.host).toBe('ci.sparkwing.example.com');
    const routes = Object.fromEntries(
      rule.http.paths.map((p: { path: string; backend: { service: { name: string; port: object } } }) => [
        p.path,
        p.backend.service,
      ]),
    );
    expect(routes).toEqual({
      '/webhooks/github': { name: 'sparkwing-controller', port: { number: 80 } },
      '/': { name: 'sparkwing-web', port: { name: 'http' } },
    });
    // Served over HTTPS, the session cookie is marked Secure.
    const web = find(objects, 'Deployment', 'sparkwing-web').spec.template.spec.containers[0];
    const secure = web.env.find((e: { name: string }) => e.name === 'SPARKWING_WEB_SECURE_COOKIE');
    expect(secure.value).toBe('true');
  });

  it('renders no monitors and no Ingress with default values', async () => {
    const defaults = await render(umbrellaChart);
    for (const kind of ['ServiceMonitor', 'PodMonitor', 'Ingress'])
      expect(byKind(defaults, kind)).toEqual([]);
  });
});
