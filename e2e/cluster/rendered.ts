import type { K8sObject } from '../charts/helm.js';

/** The rendered Secrets as name → key → decoded value (what the kubelet would inject). */
export function secretValues(objects: K8sObject[]): Map<string, Record<string, string>> {
  const secrets = new Map<string, Record<string, string>>();
  for (const secret of objects.filter((o) => o.kind === 'Secret')) {
    const data: Record<string, string> = { ...(secret.stringData ?? {}) };
    for (const [key, value] of Object.entries(secret.data ?? {}))
      data[key] = Buffer.from(String(value), 'base64').toString('utf8');
    secrets.set(secret.metadata.name, data);
  }
  return secrets;
}

/**
 * The first container's environment as the kubelet resolves it: literal values, `secretKeyRef` from the
 * rendered Secrets (a missing optional key is left out, a missing required one is an error, as
 * CreateContainerConfigError would be) and `fieldRef: metadata.namespace`.
 */
export function resolvedEnv(
  deployment: K8sObject,
  secrets: Map<string, Record<string, string>>,
  namespace: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  const name = deployment.metadata.name;
  for (const entry of deployment.spec.template.spec.containers[0].env ?? []) {
    if (entry.value !== undefined) env[entry.name] = String(entry.value);
    else if (entry.valueFrom?.secretKeyRef) {
      const ref = entry.valueFrom.secretKeyRef;
      const value = secrets.get(ref.name)?.[ref.key];
      if (value !== undefined) env[entry.name] = value;
      else if (!ref.optional)
        throw new Error(`${name}: ${entry.name} needs Secret ${ref.name} key ${ref.key}`);
    } else if (entry.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[entry.name] = namespace;
    else throw new Error(`${name}: env ${entry.name} has a source the simulation does not resolve`);
  }
  return env;
}

/** Creates the rendered Secrets in the fake API server, as `kubectl apply` would (the kinds it serves). */
export async function applySecrets(apiUrl: string, objects: K8sObject[], namespace: string): Promise<void> {
  for (const secret of objects.filter((o) => o.kind === 'Secret')) {
    const ns = secret.metadata.namespace ?? namespace;
    const response = await fetch(`${apiUrl}/api/v1/namespaces/${ns}/secrets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(secret),
    });
    if (response.status !== 201) throw new Error(`apply Secret ${secret.metadata.name}: ${response.status}`);
  }
}
