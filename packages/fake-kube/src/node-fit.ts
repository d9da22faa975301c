import { parseMemory } from './cgroup.js';
import type { Pod } from './types.js';

/** What the one fake node can hold; pods requesting more stay Pending as a real scheduler leaves them. */
export interface NodeAllocatable {
  cpu: string;
  memory: string;
}

export const DEFAULT_ALLOCATABLE: NodeAllocatable = { cpu: '16', memory: '64Gi' };

/** CPU quantity in millicores ("500m", "2", "1.5"); undefined when malformed or absent. */
export function parseCpu(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const match = /^(\d+(?:\.\d+)?)(m)?$/.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (match[2] ? 1 : 1000));
}

/**
 * The scheduler's message when no node fits the pod's requests (requests default to limits, as the API
 * server defaults them), e.g. `0/1 nodes are available: 1 Insufficient memory.`; null when it fits.
 */
export function insufficientResources(pod: Pod, allocatable: NodeAllocatable): string | null {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.spec.containers) {
    const requests = { ...c.resources?.limits, ...c.resources?.requests } as Record<string, string>;
    cpu += parseCpu(requests.cpu) ?? 0;
    memory += parseMemory(requests.memory) ?? 0;
  }
  const short: string[] = [];
  if (cpu > (parseCpu(allocatable.cpu) ?? Number.POSITIVE_INFINITY)) short.push('1 Insufficient cpu');
  if (memory > (parseMemory(allocatable.memory) ?? Number.POSITIVE_INFINITY))
    short.push('1 Insufficient memory');
  if (short.length === 0) return null;
  return `0/1 nodes are available: ${short.join(', ')}. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.`;
}

/** containerd's answer for an image the registry does not have. */
export const imageNotFoundMessage = (image: string) =>
  `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`;
