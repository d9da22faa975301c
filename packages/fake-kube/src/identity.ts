import type { Container, Pod } from './types.js';

/** The uid/gid/supplementary group a container runs as: container securityContext over the pod's. */
export interface Identity {
  uid: number;
  gid: number;
  fsGroup?: number;
}

const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

export function identityOf(pod: Pod, container: Container): Identity | null {
  const podContext = pod.spec.securityContext ?? {};
  const own = container.securityContext ?? {};
  const uid = num(own.runAsUser) ?? num(podContext.runAsUser);
  if (uid === undefined) return null;
  const gid = num(own.runAsGroup) ?? num(podContext.runAsGroup) ?? 0;
  const fsGroup = num(podContext.fsGroup);
  return { uid, gid, ...(fsGroup !== undefined ? { fsGroup } : {}) };
}

/**
 * argv that drops to the identity before exec (util-linux `setpriv`), so a memory-cgroup join in front of it
 * still runs as root. Only meaningful when this process is root (CI); otherwise the argv is unchanged.
 */
export function asIdentity(identity: Identity | null, argv: string[]): string[] {
  if (!identity || process.getuid?.() !== 0) return argv;
  const groups = identity.fsGroup !== undefined ? [`--groups=${identity.fsGroup}`] : ['--clear-groups'];
  return ['setpriv', `--reuid=${identity.uid}`, `--regid=${identity.gid}`, ...groups, '--', ...argv];
}
