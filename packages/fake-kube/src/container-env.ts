import { join } from 'node:path';
import type { ObjectStore } from './store.js';
import type { Pod } from './types.js';

/** The container's environment, or a CreateContainerConfigError message. */
export function resolveContainerEnv(
  store: ObjectStore,
  pod: Pod,
  sandboxDir: string,
  baseEnv: Record<string, string> | undefined,
): Record<string, string> | string {
  const container = pod.spec.containers[0]!;
  const env: Record<string, string> = {
    ...(baseEnv ?? { PATH: process.env.PATH ?? '/usr/bin:/bin' }),
  };
  env.HOSTNAME = pod.metadata.name!;
  env.HOME = sandboxDir;
  const mounts = volumeDirs(pod, sandboxDir);
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

/** emptyDir mounts become directories in the sandbox; env values under a mount path are rewritten to them. */
export function volumeDirs(pod: Pod, sandboxDir: string): Array<{ mountPath: string; dir: string }> {
  const container = pod.spec.containers[0]!;
  const emptyDirs = new Set((pod.spec.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
  return (container.volumeMounts ?? [])
    .filter((m) => emptyDirs.has(m.name))
    .map((m) => ({ mountPath: m.mountPath.replace(/\/$/, ''), dir: join(sandboxDir, 'volumes', m.name) }));
}

export function mapPath(value: string, mounts: Array<{ mountPath: string; dir: string }>): string {
  for (const m of mounts) {
    if (value === m.mountPath || value.startsWith(`${m.mountPath}/`))
      return m.dir + value.slice(m.mountPath.length);
  }
  return value;
}
