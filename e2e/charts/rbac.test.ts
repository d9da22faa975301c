import { describe, expect, it } from 'vitest';
import { byKind, COMPONENTS, find, render, subchart, umbrellaChart } from './helm.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** resource → verbs granted by a Role (core group written as the bare resource, others as group/resource). */
function grants(rules: Rule[]): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const rule of rules) {
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) {
        const key = group ? `${group}/${resource}` : resource;
        out[key] ??= new Set();
        for (const verb of rule.verbs) out[key].add(verb);
      }
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

describe('RBAC for the Kubernetes dispatcher', () => {
  it("grants the controller's ServiceAccount exactly what dispatching and death-log capture need", async () => {
    const objects = await render(umbrellaChart);
    const role = find(objects, 'Role', 'sparkwing-controller-dispatcher');
    expect(role.metadata.namespace).toBe('sparkwing');
    expect(grants(role.rules)).toEqual({
      'batch/jobs': ['create', 'delete', 'get', 'list', 'watch'],
      pods: ['get', 'list', 'watch'],
      // Seed 004: the log tail of an abnormally ended runner pod is read before the Job's TTL reaps it.
      'pods/log': ['get'],
      // patch: the dispatcher attaches each token Secret to its Job and refreshes the token of a waiting pod.
      secrets: ['create', 'delete', 'get', 'patch'],
      events: ['list'],
      // The warm pools' Docker-cache PVCs: created, checked out and returned by label patches, reaped.
      persistentvolumeclaims: ['create', 'delete', 'get', 'list', 'patch'],
    });
    for (const rule of role.rules as Rule[]) {
      expect(rule.verbs).not.toContain('*');
      expect(rule.resources).not.toContain('*');
    }
    const binding = find(objects, 'RoleBinding', 'sparkwing-controller-dispatcher');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: role.metadata.name,
    });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'sparkwing-controller', namespace: 'sparkwing' },
    ]);
    const controller = find(objects, 'Deployment', 'sparkwing-controller');
    expect(controller.spec.template.spec.serviceAccountName).toBe('sparkwing-controller');
  });

  it('renders nothing cluster-wide in any configuration', async () => {
    const renders = [
      await render(umbrellaChart),
      await render(umbrellaChart, ['-f', `${umbrellaChart}/ci/monitoring-ingress-values.yaml`]),
      ...(await Promise.all(COMPONENTS.map((c) => render(subchart(c))))),
    ];
    for (const objects of renders) {
      const kinds = objects.map((o) => o.kind);
      expect(kinds).not.toContain('ClusterRole');
      expect(kinds).not.toContain('ClusterRoleBinding');
      for (const o of objects.filter((x) => x.kind !== 'Namespace')) {
        expect(o.metadata.namespace, `${o.kind}/${o.metadata.name} must be namespaced`).toBeTruthy();
      }
    }
  });

  it('leaves the Role out when the runner chart is told not to create RBAC', async () => {
    const objects = await render(umbrellaChart, ['--set', 'runner.rbac.create=false']);
    expect(byKind(objects, 'Role')).toEqual([]);
    expect(byKind(objects, 'RoleBinding')).toEqual([]);
  });
});
