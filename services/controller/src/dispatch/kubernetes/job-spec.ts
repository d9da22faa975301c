import { createHash } from 'node:crypto';
import { ENV, type Resources } from '@sparkwing/contracts';
import type { V1Job, V1Secret } from '@kubernetes/client-node';
import type { KubernetesDispatchConfig } from './config.js';
import type { DockerPodParts } from './docker-spec.js';

/** Labels and annotations every runner Job, its pod and its Secret carry. */
export const LABELS = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  runId: 'sparkwing.dev/run-id',
  nodeId: 'sparkwing.dev/node-id',
  attempt: 'sparkwing.dev/attempt',
} as const;
export const RUNNER_APP = 'sparkwing-runner';
export const MANAGED_BY = 'sparkwing-controller';
/** Label values are limited to 63 characters, so the exact ids live in annotations. */
export const ANNOTATIONS = { runId: 'sparkwing.dev/run-id', nodeId: 'sparkwing.dev/node-id' } as const;
export const RUNNER_CONTAINER = 'runner';
export const TOKEN_KEY = 'token';
export const RUNNER_SELECTOR = `${LABELS.name}=${RUNNER_APP},${LABELS.managedBy}=${MANAGED_BY}`;

export interface JobTarget {
  runId: string;
  nodeId: string;
  attempt: number;
  resources: Resources;
  timeoutS: number | null;
}

const slug = (text: string, max: number): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '') || 'x';

/**
 * `sw-<run>-<node>-a<attempt>-<hash>`: DNS-safe, at most 63 characters (it becomes the pod's job-name
 * label), and deterministic, so a retried create after a crash hits AlreadyExists instead of duplicating.
 */
export function jobName(runId: string, nodeId: string, attempt: number): string {
  const hash = createHash('sha256').update(`${runId}\0${nodeId}\0${attempt}`).digest('hex').slice(0, 8);
  const suffix = `-a${attempt}-${hash}`;
  const room = 63 - 3 - suffix.length - 1;
  const runPart = slug(runId, Math.ceil(room / 2));
  const nodePart = slug(nodeId, room - runPart.length);
  return `sw-${runPart}-${nodePart}${suffix}`;
}

/** A valid label value standing for an id (exact ids are in annotations). */
export function labelValue(id: string): string {
  return (
    id
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .slice(0, 63)
      .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '') || 'x'
  );
}

function labelsFor(target: JobTarget): Record<string, string> {
  return {
    [LABELS.name]: RUNNER_APP,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.runId]: labelValue(target.runId),
    [LABELS.nodeId]: labelValue(target.nodeId),
    [LABELS.attempt]: String(target.attempt),
  };
}

const annotationsFor = (target: JobTarget) => ({
  [ANNOTATIONS.runId]: target.runId,
  [ANNOTATIONS.nodeId]: target.nodeId,
});

/** The per-Job Secret that carries the node's lease token (never inline in the Job spec). */
export function buildSecret(name: string, target: JobTarget, token: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, labels: labelsFor(target), annotations: annotationsFor(target) },
    type: 'Opaque',
    stringData: { [TOKEN_KEY]: token },
  };
}

const NO_DOCKER: DockerPodParts = { env: [], volumes: [], runnerMounts: [], initContainers: [] };

export function buildJob(
  name: string,
  target: JobTarget,
  config: KubernetesDispatchConfig,
  docker: DockerPodParts = NO_DOCKER,
): V1Job {
  const timeoutMs = target.timeoutS !== null ? target.timeoutS * 1000 : config.defaultTimeoutMs;
  const resources = {
    cpu: target.resources.cpu ?? config.defaultResources.cpu,
    memory: target.resources.memory ?? config.defaultResources.memory,
  };
  const env = [
    { name: ENV.controllerUrl, value: config.runnerEnv.controllerUrl },
    { name: ENV.logsUrl, value: config.runnerEnv.logsUrl },
    { name: ENV.cacheUrl, value: config.runnerEnv.cacheUrl },
    { name: ENV.runId, value: target.runId },
    { name: ENV.nodeId, value: target.nodeId },
    { name: 'HOME', value: config.runnerEnv.home },
    { name: ENV.home, value: `${config.runnerEnv.home}/.sparkwing` },
    { name: ENV.agentToken, valueFrom: { secretKeyRef: { name, key: TOKEN_KEY } } },
    ...(config.runnerEnv.runnerTokenSecret
      ? [{ name: ENV.runnerToken, valueFrom: { secretKeyRef: config.runnerEnv.runnerTokenSecret } }]
      : []),
    ...docker.env,
  ];
  const uid = config.runAsUser;
  const labels = labelsFor(target);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels, annotations: annotationsFor(target) },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: Math.ceil((timeoutMs + config.deadlineGraceMs) / 1000),
      ttlSecondsAfterFinished: Math.ceil(config.jobTtlMs / 1000),
      template: {
        metadata: { labels, annotations: annotationsFor(target) },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: config.serviceAccount,
          automountServiceAccountToken: false,
          ...(Object.keys(config.nodeSelector).length > 0 ? { nodeSelector: config.nodeSelector } : {}),
          ...(config.tolerations.length > 0 ? { tolerations: config.tolerations } : {}),
          ...(config.imagePullSecrets.length > 0
            ? { imagePullSecrets: config.imagePullSecrets.map((n) => ({ name: n })) }
            : {}),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: uid,
            runAsGroup: uid,
            fsGroup: uid,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          // The root filesystem is read-only: HOME and /tmp are the writable scratch of build tools.
          volumes: [{ name: 'home', emptyDir: {} }, { name: 'tmp', emptyDir: {} }, ...docker.volumes],
          ...(docker.initContainers.length > 0 ? { initContainers: docker.initContainers } : {}),
          containers: [
            {
              name: RUNNER_CONTAINER,
              image: config.image,
              imagePullPolicy: config.imagePullPolicy,
              command: ['sparkwing-runner', 'worker'],
              env,
              resources: { requests: resources, limits: resources },
              volumeMounts: [
                { name: 'home', mountPath: config.runnerEnv.home },
                { name: 'tmp', mountPath: '/tmp' },
                ...docker.runnerMounts,
              ],
              securityContext: {
                allowPrivilegeEscalation: false,
                runAsNonRoot: true,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    },
  };
}

/** The ids a runner Job stands for, read back from its annotations/labels (adoption after a restart). */
export function targetOf(meta: {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}): { runId: string; nodeId: string; attempt: number } | null {
  const runId = meta.annotations?.[ANNOTATIONS.runId];
  const nodeId = meta.annotations?.[ANNOTATIONS.nodeId];
  const attempt = Number(meta.labels?.[LABELS.attempt]);
  if (!runId || !nodeId || !Number.isInteger(attempt)) return null;
  return { runId, nodeId, attempt };
}
