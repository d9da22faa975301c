import { type ContainerState, now, type Pod, type PodCondition } from './types.js';

/** The status of a pod's single container in the given state. */
export function containerStatus(
  pod: Pod,
  state: ContainerState,
  ready = false,
): Pod['status']['containerStatuses'] {
  const container = pod.spec.containers[0]!;
  const started = state.running !== undefined;
  return [
    {
      name: container.name,
      image: container.image ?? '',
      imageID: state.waiting ? '' : `fake-kube://${container.image ?? ''}`,
      ...(state.waiting ? {} : { containerID: `fake://${pod.metadata.uid}` }),
      ready,
      started,
      restartCount: 0,
      state,
      lastState: {},
    },
  ];
}

/** Replaces one pod condition. */
export function setCondition(
  pod: Pod,
  type: string,
  status: 'True' | 'False',
  reason?: string,
  message?: string,
): void {
  const conditions: PodCondition[] = (pod.status.conditions ?? []).filter((c) => c.type !== type);
  conditions.push({
    type,
    status,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
    lastProbeTime: null,
    lastTransitionTime: now(),
  });
  pod.status.conditions = conditions;
}
