import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  byKind,
  COMPONENTS,
  type Component,
  helm,
  onlyComponents,
  render,
  subchart,
  umbrellaChart,
} from './helm.js';

const NAME: Record<Component, string> = {
  controller: 'sparkwing-controller',
  cache: 'sparkwing-cache',
  logs: 'sparkwing-logs',
  web: 'sparkwing-web',
  runner: 'sparkwing-runner',
  dind: 'dind',
  registry: 'registry',
};

// Components whose pods read the shared Secret (signing key / runner token).
const READS_SHARED = new Set<Component>(['controller', 'cache', 'logs', 'runner']);

describe('helm lint', () => {
  it('passes for the umbrella chart with default values and with the CI values file', async () => {
    for (const args of [[], ['-f', join(umbrellaChart, 'ci/monitoring-ingress-values.yaml')]]) {
      const result = await helm(['lint', '--strict', umbrellaChart, '--namespace', 'sparkwing', ...args]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  });

  it.each(COMPONENTS)(
    'passes for the %s subchart alone and for the umbrella with only it enabled',
    async (component) => {
      const alone = await helm(['lint', '--strict', subchart(component), '--namespace', 'sparkwing']);
      expect(alone.code, alone.stdout + alone.stderr).toBe(0);
      const only = await helm([
        'lint',
        '--strict',
        umbrellaChart,
        '--namespace',
        'sparkwing',
        ...onlyComponents(component),
      ]);
      expect(only.code, only.stdout + only.stderr).toBe(0);
    },
  );
});

describe('each component can be enabled alone', () => {
  it.each(COMPONENTS)('umbrella with only %s renders just that component', async (component) => {
    const objects = await render(umbrellaChart, onlyComponents(component));
    const deployments = byKind(objects, 'Deployment').map((d) => d.metadata.name);
    expect(deployments).toEqual([NAME[component]]);
    // Everything rendered belongs to that component, the namespace-wide default deny or the shared Secret.
    for (const o of objects) {
      const owner = o.metadata.labels?.['app.kubernetes.io/component'];
      const shared =
        o.metadata.name === 'sparkwing-shared' || o.metadata.name === 'sparkwing-default-deny-ingress';
      expect(owner === component || shared || o.kind === 'Namespace', `${o.kind}/${o.metadata.name}`).toBe(
        true,
      );
    }
    const sharedSecret = byKind(objects, 'Secret').some((s) => s.metadata.name === 'sparkwing-shared');
    expect(sharedSecret).toBe(READS_SHARED.has(component));
  });

  it.each(COMPONENTS)(
    'the %s subchart installs alone with its own Service, ServiceAccount and policy',
    async (component) => {
      const objects = await render(subchart(component));
      expect(byKind(objects, 'Deployment').map((d) => d.metadata.name)).toEqual([NAME[component]]);
      expect(byKind(objects, 'ServiceAccount').map((s) => s.metadata.name)).toEqual([NAME[component]]);
      expect(byKind(objects, 'NetworkPolicy').map((p) => p.metadata.name)).toEqual([NAME[component]]);
      if (component !== 'runner')
        expect(byKind(objects, 'Service').map((s) => s.metadata.name)).toEqual([NAME[component]]);
      // Alone, a chart that reads the shared Secret generates it itself.
      const generated = byKind(objects, 'Secret').some((s) => s.metadata.name === 'sparkwing-shared');
      expect(generated).toBe(READS_SHARED.has(component));
    },
  );

  it('renders nothing but the default deny when every component is disabled', async () => {
    const objects = await render(umbrellaChart, onlyComponents());
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'NetworkPolicy/sparkwing-default-deny-ingress',
    ]);
  });
});

describe('chart files', () => {
  it.each(['', ...COMPONENTS])(
    'chart %s has a values.schema.json that rejects unknown keys',
    async (component) => {
      const chart = component ? subchart(component) : umbrellaChart;
      const schemaPath = join(chart, 'values.schema.json');
      expect(existsSync(schemaPath)).toBe(true);
      const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
      expect(schema.type).toBe('object');
      expect(schema.additionalProperties).toBe(false);
      const result = await helm(['template', 'x', chart, '--set', 'notAValue=1']);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("additional properties 'notAValue' not allowed");
    },
  );

  it('schemas refuse insecure or impossible settings', async () => {
    const refused = [
      ['controller.securityContext.runAsNonRoot=false', 'value must be true'],
      ['cache.securityContext.readOnlyRootFilesystem=false', 'value must be true'],
      ['registry.service.nodePort=80', 'minimum'],
      ['controller.probes.readiness.path=health', 'does not match pattern'],
      ['global.serviceNames.logs=Not_DNS', 'does not match pattern'],
    ];
    for (const [set, message] of refused) {
      const result = await helm(['template', 'x', umbrellaChart, '--set', set as string]);
      expect(result.code, set).not.toBe(0);
      expect(result.stderr, set).toContain(message);
    }
  });

  it('NOTES tell how to get the admin token and open the dashboard', async () => {
    // A client-side dry run renders NOTES.txt without a cluster.
    const notes = async (args: string[]) => {
      const result = await helm([
        'install',
        'sparkwing',
        umbrellaChart,
        '--dry-run=client',
        '--namespace',
        'sparkwing',
        ...args,
      ]);
      expect(result.code, result.stderr).toBe(0);
      return result.stdout.slice(result.stdout.indexOf('NOTES:'));
    };
    const plain = await notes([]);
    expect(plain).toContain(
      "kubectl -n sparkwing get secret sparkwing-controller-secrets -o jsonpath='{.data.SPARKWING_ADMIN_TOKEN}' | base64 -d",
    );
    expect(plain).toContain('kubectl -n sparkwing exec deploy/sparkwing-controller -- cat /data/admin-token');
    expect(plain).toContain('kubectl -n sparkwing port-forward svc/sparkwing-web 3100:3100');
    const withIngress = await notes(['-f', join(umbrellaChart, 'ci/monitoring-ingress-values.yaml')]);
    expect(withIngress).toContain('https://ci.sparkwing.example.com/');
  });
});

describe('one library chart holds the shared named templates', () => {
  const library = join(umbrellaChart, 'charts', 'sparkwing-lib');
  const templatesOf = (chart: string) =>
    readdirSync(join(chart, 'templates')).map((f) => readFileSync(join(chart, 'templates', f), 'utf8'));

  it('is a library chart every chart depends on, linked (not copied) into each component chart', () => {
    expect(readFileSync(join(library, 'Chart.yaml'), 'utf8')).toMatch(/^type: library$/m);
    for (const chart of [umbrellaChart, ...COMPONENTS.map(subchart)]) {
      expect(readFileSync(join(chart, 'Chart.yaml'), 'utf8'), chart).toMatch(/- name: sparkwing-lib\n/);
    }
    for (const component of COMPONENTS) {
      const link = join(subchart(component), 'charts', 'sparkwing-lib');
      expect(lstatSync(link).isSymbolicLink(), component).toBe(true);
      expect(realpathSync(link), component).toBe(realpathSync(library));
    }
  });

  it('leaves no copy of the helpers in any chart: only the library defines sparkwing.* templates', () => {
    for (const chart of [umbrellaChart, ...COMPONENTS.map(subchart)]) {
      expect(existsSync(join(chart, 'templates', '_helpers.tpl')), chart).toBe(false);
      for (const text of templatesOf(chart)) expect(text).not.toMatch(/define "sparkwing\./);
    }
    expect(templatesOf(library).join('\n')).toMatch(/define "sparkwing\.labels"/);
  });

  it('labels each component with its own chart name', async () => {
    const objects = await render(umbrellaChart);
    for (const component of COMPONENTS) {
      const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === NAME[component]);
      if (!deployment) continue; // registry lives in its own namespace but is a Deployment too
      expect(deployment.metadata.labels?.['app.kubernetes.io/component'], component).toBe(component);
      expect(deployment.metadata.labels?.['app.kubernetes.io/name'], component).toBe(NAME[component]);
    }
  });
});
