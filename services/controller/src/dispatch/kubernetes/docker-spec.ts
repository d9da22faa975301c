import { ENV } from '@sparkwing/contracts';
import type { V1Container, V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { KubernetesDispatchConfig } from './config.js';

/** Environment variables runner pods get for container builds (read by the SDK's docker helpers). */
const DOCKER_ENV = {
  dockerHost: ENV.dockerHost,
  registry: ENV.registry,
  registryUsername: ENV.registryUsername,
  registryPassword: ENV.registryPassword,
} as const;

export const DIND_CONTAINER = 'dind';
/** The sidecar's daemon listens on a socket in a volume shared with the runner (never on the network). */
export const DIND_SOCKET_DIR = '/var/run/dind';
export const DIND_DATA_ROOT = '/var/lib/docker';
const SOCKET_VOLUME = 'dind-socket';
const DATA_VOLUME = 'dind-data';
/** The runner's uid/gid: the daemon's socket is group-owned by it. */
const RUNNER_GID = 1000;

export interface DockerPodParts {
  env: V1EnvVar[];
  volumes: V1Volume[];
  runnerMounts: V1VolumeMount[];
  initContainers: V1Container[];
}

/**
 * What a runner pod needs for Docker: DOCKER_HOST (the DinD Service, or a per-pod DinD native sidecar whose
 * /var/lib/docker is the checked-out warm PVC), the registry address and the registry credentials.
 */
export function dockerPodParts(
  config: KubernetesDispatchConfig,
  wantsDocker: boolean,
  claimName: string | null,
): DockerPodParts {
  const docker = config.docker;
  const env: V1EnvVar[] = [];
  if (docker.registry) env.push({ name: DOCKER_ENV.registry, value: docker.registry });
  if (docker.registrySecret) {
    for (const [name, key] of [
      [DOCKER_ENV.registryUsername, 'username'],
      [DOCKER_ENV.registryPassword, 'password'],
    ] as const) {
      env.push({ name, valueFrom: { secretKeyRef: { name: docker.registrySecret, key } } });
    }
  }
  const parts: DockerPodParts = { env, volumes: [], runnerMounts: [], initContainers: [] };
  if (docker.mode === 'service') env.push({ name: DOCKER_ENV.dockerHost, value: docker.dockerHost });
  if (docker.mode !== 'sidecar' || !wantsDocker) return parts;
  const socket = `unix://${DIND_SOCKET_DIR}/docker.sock`;
  env.push({ name: DOCKER_ENV.dockerHost, value: socket });
  parts.volumes.push(
    { name: SOCKET_VOLUME, emptyDir: {} },
    claimName
      ? { name: DATA_VOLUME, persistentVolumeClaim: { claimName } }
      : { name: DATA_VOLUME, emptyDir: {} },
  );
  parts.runnerMounts.push({ name: SOCKET_VOLUME, mountPath: DIND_SOCKET_DIR });
  parts.initContainers.push({
    name: DIND_CONTAINER,
    image: docker.dindImage,
    // A native sidecar: started before the runner, stopped after it, and not holding the Job open.
    restartPolicy: 'Always',
    command: ['dockerd'],
    args: [`--host=${socket}`, `--group=${RUNNER_GID}`, `--data-root=${DIND_DATA_ROOT}`],
    securityContext: { privileged: true, runAsNonRoot: false, runAsUser: 0 },
    startupProbe: {
      exec: { command: ['docker', '-H', socket, 'version'] },
      periodSeconds: 1,
      failureThreshold: 60,
    },
    volumeMounts: [
      { name: SOCKET_VOLUME, mountPath: DIND_SOCKET_DIR },
      { name: DATA_VOLUME, mountPath: DIND_DATA_ROOT },
    ],
  });
  return parts;
}
