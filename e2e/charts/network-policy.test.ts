import { beforeAll, describe, expect, it } from 'vitest';
import { byKind, find, type K8sObject, render, umbrellaChart } from './helm.js';
import { ALLOW_TABLE, SERVICES } from './seed.js';

// Pod name label → component of the seed table.
const COMPONENT_BY_NAME: Record<string, string> = {
  'sparkwing-controller': 'controller',
  'sparkwing-cache': 'cache',
  'sparkwing-logs': 'logs',
  'sparkwing-web': 'web',
  'sparkwing-runner': 'runner',
  dind: 'dind',
  registry: 'registry',
};

interface Peer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: { cidr: string };
}

/** Who a policy peer stands for: a component's pods, anything (`external`) or node addresses (`nodes`). */
function source(peer: Peer): string {
  if (peer.ipBlock) return peer.ipBlock.cidr === '0.0.0.0/0' ? 'external' : 'nodes';
  const name = peer.podSelector?.matchLabels?.['app.kubernetes.io/name'];
  const component = name ? COMPONENT_BY_NAME[name] : undefined;
  if (!component) throw new Error(`policy peer selects nothing the topology knows: ${JSON.stringify(peer)}`);
  return component;
}

/** The allow matrix the rendered NetworkPolicies implement: component → sorted sources. */
function allowMatrix(objects: K8sObject[]): Record<string, string[]> {
  const matrix: Record<string, string[]> = {};
  for (const policy of byKind(objects, 'NetworkPolicy')) {
    const name = policy.spec.podSelector.matchLabels?.['app.kubernetes.io/name'];
    if (!name) continue; // the namespace-wide default deny
    const component = COMPONENT_BY_NAME[name];
    if (!component) throw new Error(`policy ${policy.metadata.name} selects unknown pods ${name}`);
    const sources = new Set<string>();
    for (const rule of policy.spec.ingress ?? []) {
      expect(
        rule.from?.length,
        `${policy.metadata.name}: a rule without "from" would admit everyone`,
      ).toBeGreaterThan(0);
      for (const peer of rule.from) sources.add(source(peer));
    }
    matrix[component] = [...sources].sort();
  }
  return matrix;
}

describe('NetworkPolicies', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await render(umbrellaChart);
  });

  it('deny all ingress in the namespace by default', () => {
    const deny = find(objects, 'NetworkPolicy', 'sparkwing-default-deny-ingress');
    expect(deny.metadata.namespace).toBe('sparkwing');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
  });

  it('allow exactly the seed table', () => {
    expect(allowMatrix(objects)).toEqual(ALLOW_TABLE);
  });

  it('open only the port each component listens on', () => {
    const ports: Record<string, number> = {
      controller: SERVICES.controller.targetPort,
      cache: SERVICES.cache.targetPort,
      logs: SERVICES.logs.targetPort,
      web: SERVICES.web.targetPort,
      dind: SERVICES.dind.targetPort,
      registry: SERVICES.registry.targetPort,
    };
    for (const policy of byKind(objects, 'NetworkPolicy')) {
      expect(policy.spec.policyTypes).toEqual(['Ingress']);
      const name = policy.spec.podSelector.matchLabels?.['app.kubernetes.io/name'];
      if (!name) continue;
      const component = COMPONENT_BY_NAME[name] as string;
      for (const rule of policy.spec.ingress ?? []) {
        expect(rule.ports, policy.metadata.name).toEqual([{ protocol: 'TCP', port: ports[component] }]);
      }
    }
  });

  it('select pods by the name label the dispatcher puts on runner Jobs', () => {
    const controller = find(objects, 'NetworkPolicy', 'sparkwing-controller');
    const runnerPeer = controller.spec.ingress
      .flatMap((r: { from: Peer[] }) => r.from)
      .find((p: Peer) => p.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'sparkwing-runner');
    // Only the name label: dispatcher Jobs carry app.kubernetes.io/name=sparkwing-runner, not the release's.
    expect(runnerPeer.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'sparkwing-runner' });
  });

  it('let runners from the sparkwing namespace and the nodes reach the registry in its own namespace', () => {
    const registry = find(objects, 'NetworkPolicy', 'registry');
    expect(registry.metadata.namespace).toBe('registry');
    const peers: Peer[] = registry.spec.ingress.flatMap((r: { from: Peer[] }) => r.from);
    expect(peers).toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'sparkwing' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'sparkwing-runner' } },
    });
    expect(peers.filter((p) => p.ipBlock).map((p) => p.ipBlock?.cidr)).not.toContain('0.0.0.0/0');
  });

  it('render none when network policies are switched off globally', async () => {
    const off = await render(umbrellaChart, ['--set', 'global.networkPolicy.enabled=false']);
    expect(byKind(off, 'NetworkPolicy')).toEqual([]);
  });
});
