import type { V1Pod } from '@kubernetes/client-node';

/** What a runner pod's status means for its node. */
export type PodVerdict =
  | {
      kind: 'waiting';
      reason: string;
      detail: string;
      stage: 'schedule' | 'pull' | 'config' | 'create';
      /** A pull error no retry can fix (invalid name, image or tag that does not exist). */
      permanent?: boolean;
    }
  | { kind: 'running' }
  | { kind: 'succeeded' }
  | { kind: 'oom_killed'; exitCode: number; message: string }
  | { kind: 'evicted'; message: string }
  | { kind: 'exited'; exitCode: number; reason: string; signal?: number };

const PULL_REASONS = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull']);
const PERMANENT_PULL_REASONS = new Set(['InvalidImageName', 'ErrImageNeverPull']);
/** Registry answers meaning the image does not exist (containerd / CRI-O wording). */
const MISSING_IMAGE = /not found|manifest unknown|name unknown|repository does not exist/i;
const CONFIG_REASONS = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

/** Classifies a runner pod from its phase, conditions and the runner container's state. */
export function classifyPod(pod: V1Pod, containerName: string): PodVerdict {
  const status = pod.status;
  if (status?.reason === 'Evicted') {
    return { kind: 'evicted', message: status.message ?? 'the pod was evicted' };
  }
  const container =
    status?.containerStatuses?.find((c) => c.name === containerName) ?? status?.containerStatuses?.[0];
  const terminated = container?.state?.terminated;
  if (terminated) {
    const exitCode = terminated.exitCode ?? 0;
    if (terminated.reason === 'OOMKilled') {
      const code = exitCode === 0 ? 137 : exitCode;
      return { kind: 'oom_killed', exitCode: code, message: terminated.message ?? '' };
    }
    if (exitCode === 0) return { kind: 'succeeded' };
    return {
      kind: 'exited',
      exitCode,
      reason: terminated.reason ?? 'Error',
      ...(terminated.signal !== undefined ? { signal: terminated.signal } : {}),
    };
  }
  if (container?.state?.running) return { kind: 'running' };
  const waiting = container?.state?.waiting;
  if (waiting?.reason) {
    const stage = PULL_REASONS.has(waiting.reason)
      ? 'pull'
      : CONFIG_REASONS.has(waiting.reason)
        ? 'config'
        : 'create';
    const permanent =
      stage === 'pull' &&
      (PERMANENT_PULL_REASONS.has(waiting.reason) || MISSING_IMAGE.test(waiting.message ?? ''));
    return {
      kind: 'waiting',
      reason: waiting.reason,
      detail: waiting.message ? `${waiting.reason}: ${waiting.message}` : waiting.reason,
      stage,
      ...(permanent ? { permanent } : {}),
    };
  }
  const unschedulable = status?.conditions?.find(
    (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
  );
  if (unschedulable) {
    return {
      kind: 'waiting',
      reason: 'Unschedulable',
      detail: unschedulable.message ? `Unschedulable: ${unschedulable.message}` : 'Unschedulable',
      stage: 'schedule',
    };
  }
  if (status?.phase === 'Failed') return { kind: 'exited', exitCode: 1, reason: status.reason ?? 'Failed' };
  if (status?.phase === 'Succeeded') return { kind: 'succeeded' };
  return { kind: 'waiting', reason: 'Pending', detail: 'Pending', stage: 'schedule' };
}

/** Job state for the `sparkwing_runner_jobs` gauge. */
export function jobState(job: {
  status?: {
    active?: number;
    ready?: number;
    succeeded?: number;
    failed?: number;
    conditions?: Array<{ type: string; status: string }>;
  };
}): 'pending' | 'running' | 'succeeded' | 'failed' {
  const conditions = job.status?.conditions ?? [];
  if (
    conditions.some((c) => c.type === 'Complete' && c.status === 'True') ||
    (job.status?.succeeded ?? 0) > 0
  ) {
    return 'succeeded';
  }
  if (conditions.some((c) => c.type === 'Failed' && c.status === 'True')) return 'failed';
  if ((job.status?.ready ?? 0) > 0) return 'running';
  return 'pending';
}

export const jobFinished = (job: Parameters<typeof jobState>[0]): boolean => {
  const state = jobState(job);
  return state === 'succeeded' || state === 'failed';
};

export const jobDeadlineExceeded = (job: {
  status?: { conditions?: Array<{ type: string; status: string; reason?: string }> };
}): boolean =>
  (job.status?.conditions ?? []).some(
    (c) => c.type === 'Failed' && c.status === 'True' && c.reason === 'DeadlineExceeded',
  );
