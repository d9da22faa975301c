import { dirname, join } from 'node:path';
import type { ObjectStore } from './store.js';
import type { Container, Pod } from './types.js';

/** The container's environment, or a CreateContainerConfigError message. */
export function resolveContainerEnv(
  store: ObjectStore,
  pod: Pod,
  sandboxDir: string,
  baseEnv: Record<string, string> | undefined,
  container: Container = pod.spec.containers[0]!,
): Record<string, string> | string {
  const env: Record<string, string> = {
    ...(baseEnv ?? { PATH: process.env.PATH ?? '/usr/bin:/bin' }),
  };
  env.HOSTNAME = pod.metadata.name!;
  env.HOME = sandboxDir;
  const mounts = volumeDirs(pod, sandboxDir, container);
  for (const item of container.env ?? []) {
    let value = item.value ?? '';
    const secretRef = item.valueFrom?.secretKeyRef;
    if (secretRef) {
      const secret = store.get('secrets', pod.metadata.namespace!, secretRef.name) as
        | { data?: Record<string, string> }
        | undefined;
      if (!secret) {
        if (secretRef.optional) continue;
        return `secret "${secretRef.name}" not found`;
      }
      const encoded = secret.data?.[secretRef.key];
      if (encoded === undefined) {
        if (secretRef.optional) continue;
        return `couldn't find key ${secretRef.key} in Secret ${pod.metadata.namespace}/${secretRef.name}`;
      }
      value = Buffer.from(encoded, 'base64').toString();
    }
    const fieldPath = item.valueFrom?.fieldRef?.fieldPath;
    if (fieldPath === 'metadata.name') value = pod.metadata.name!;
    if (fieldPath === 'metadata.namespace') value = pod.metadata.namespace!;
    if (fieldPath === 'status.podIP') value = '127.0.0.1';
    if (fieldPath === 'spec.nodeName') value = 'fake-node-1';
    env[item.name] = mapPath(value, mounts);
  }
  return env;
}

/** Where a PersistentVolumeClaim's data lives: outside every pod sandbox, so it outlives the pods that mount it. */
export function claimDir(sandboxRoot: string, namespace: string, claimName: string): string {
  return join(sandboxRoot, '_pvc', namespace, claimName);
}

/**
 * emptyDir mounts become directories in the pod's sandbox, PVC mounts the claim's directory; env values
 * under a mount path are rewritten to them. Sandboxes sit directly under the cluster's sandbox root.
 */
export function volumeDirs(
  pod: Pod,
  sandboxDir: string,
  container: Container = pod.spec.containers[0]!,
): Array<{ mountPath: string; dir: string }> {
  const dirs = new Map<string, string>();
  for (const v of pod.spec.volumes ?? []) {
    if (v.emptyDir) dirs.set(v.name, join(sandboxDir, 'volumes', v.name));
    const claim = v.persistentVolumeClaim?.claimName;
    if (claim) dirs.set(v.name, claimDir(dirname(sandboxDir), pod.metadata.namespace!, claim));
  }
  return (container.volumeMounts ?? [])
    .filter((m) => dirs.has(m.name))
    .map((m) => ({ mountPath: m.mountPath.replace(/\/$/, ''), dir: dirs.get(m.name)! }));
}

/** Rewrites a path (or a `unix://` socket address) under a mount path to the mount's directory. */
export function mapPath(value: string, mounts: Array<{ mountPath: string; dir: string }>): string {
  if (value.startsWith('unix://')) return `unix://${mapPath(value.slice('unix://'.length), mounts)}`;
  for (const m of mounts) {
    if (value === m.mountPath || value.startsWith(`${m.mountPath}/`))
      return m.dir + value.slice(m.mountPath.length);
  }
  return value;
}
