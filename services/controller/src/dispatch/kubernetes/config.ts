import { durationSetting as duration } from '@sparkwing/contracts';
import { z } from 'zod';
import {
  type DockerDispatchConfig,
  dockerEnvShape,
  dockerLabels,
  dockerDispatchConfigFrom,
} from './docker-config.js';
import { jsonArraySetting, listSetting } from '../../settings.js';

const list = listSetting();
const keyValues = z
  .string()
  .default('')
  .transform((s, ctx) => {
    const out: Record<string, string> = {};
    for (const pair of s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)) {
      const [key, ...rest] = pair.split('=');
      if (!key || rest.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected key=value pairs separated by commas, got "${pair}"`,
        });
        return z.NEVER;
      }
      out[key] = rest.join('=');
    }
    return out;
  });

const tolerationSchema = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(['Equal', 'Exists']).optional(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: z.number().int().optional(),
});
export type Toleration = z.infer<typeof tolerationSchema>;

const tolerations = jsonArraySetting(tolerationSchema, 'Kubernetes tolerations');

/**
 * Environment variables of the Kubernetes dispatcher (read only when SPARKWING_DISPATCHER=kubernetes).
 * The controller's config schema spreads this shape, so every variable is parsed once in main.ts.
 */
export const kubernetesEnvShape = {
  // Namespace the runner Jobs and their Secrets are created in (the chart sets it from the downward API).
  POD_NAMESPACE: z.string().min(1).default('sparkwing'),
  // Path of a kubeconfig file; without it the in-cluster service account is used.
  KUBECONFIG: z.string().min(1).optional(),
  // Container image of `sparkwing-runner`.
  SPARKWING_RUNNER_IMAGE: z.string().min(1).default('ghcr.io/sparkwing/runner:0.1.0'),
  // imagePullPolicy of the runner container.
  SPARKWING_RUNNER_IMAGE_PULL_POLICY: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  // Comma-separated names of image pull Secrets for the runner pods.
  SPARKWING_RUNNER_IMAGE_PULL_SECRETS: list,
  // Service account of runner pods.
  SPARKWING_RUNNER_SERVICE_ACCOUNT: z.string().min(1).default('sparkwing-runner'),
  // Node selector of runner pods as key=value pairs separated by commas.
  SPARKWING_RUNNER_NODE_SELECTOR: keyValues,
  // Tolerations of runner pods as a JSON array.
  SPARKWING_RUNNER_TOLERATIONS: tolerations,
  // CPU request/limit of a runner when the node declares none.
  SPARKWING_RUNNER_DEFAULT_CPU: z.string().min(1).default('1'),
  // Memory request/limit of a runner when the node declares none.
  SPARKWING_RUNNER_DEFAULT_MEMORY: z.string().min(1).default('2Gi'),
  // Comma-separated runner labels the dispatcher serves: it creates Jobs only for nodes these satisfy.
  SPARKWING_DISPATCHER_LABELS: z
    .string()
    .default('kubernetes')
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  // Upper bound on runner Jobs that are not finished yet.
  SPARKWING_DISPATCHER_MAX_JOBS: z.coerce.number().int().min(1).max(10_000).default(50),
  // Controller URL handed to runner pods (the in-cluster service name).
  SPARKWING_RUNNER_CONTROLLER_URL: z.url().default('http://sparkwing-controller.sparkwing.svc.cluster.local'),
  // Logs URL handed to runner pods.
  SPARKWING_RUNNER_LOGS_URL: z.url().default('http://sparkwing-logs.sparkwing.svc.cluster.local'),
  // Cache URL handed to runner pods.
  SPARKWING_RUNNER_CACHE_URL: z.url().default('http://sparkwing-cache.sparkwing.svc.cluster.local'),
  // Existing Secret exposed to runner pods as SPARKWING_RUNNER_TOKEN. Workers need none (their node token
  // reads their run and dependencies' outputs); leave unset so pipeline code in a pod holds no token that
  // could claim other runs' nodes.
  SPARKWING_RUNNER_TOKEN_SECRET: z.string().min(1).optional(),
  // Key of that Secret (the chart's shared Secret stores it as SPARKWING_RUNNER_TOKEN).
  SPARKWING_RUNNER_TOKEN_SECRET_KEY: z.string().min(1).default('token'),
  // HOME of runner pods: an emptyDir is mounted there (npm, pip, git write to HOME; the root is read-only).
  SPARKWING_RUNNER_HOME: z.string().startsWith('/').default('/home/sparkwing'),
  // uid/gid runner pods run as: the runner image's user (its HOME is owned by it).
  SPARKWING_RUNNER_UID: z.coerce.number().int().min(1).default(10001),
  // activeDeadlineSeconds = node timeout (or this default) + SPARKWING_RUNNER_DEADLINE_GRACE.
  SPARKWING_RUNNER_DEFAULT_TIMEOUT: duration('1h'),
  // Slack added to the node timeout for the Job's activeDeadlineSeconds (startup, upload of results).
  SPARKWING_RUNNER_DEADLINE_GRACE: duration('5m'),
  // ttlSecondsAfterFinished of runner Jobs: how long finished pods (and their logs) stay around.
  SPARKWING_RUNNER_JOB_TTL: duration('10m'),
  // How long a pod may sit in ImagePullBackOff/ErrImagePull before its node fails (an image that does
  // not exist or an invalid name fails at once).
  SPARKWING_IMAGE_PULL_GRACE: duration('2m'),
  // How long a pod may stay Unschedulable (no node fits its requests, selectors or taints) before its
  // node fails `unschedulable` instead of holding its lease until the deadline; leaves room for an autoscaler.
  SPARKWING_UNSCHEDULABLE_GRACE: duration('5m'),
  // Interval of the relist (missed watch events), lease renewal of pending pods and the Job gauges.
  SPARKWING_DISPATCHER_RESYNC_INTERVAL: duration('15s'),
  ...dockerEnvShape,
};

export const kubernetesEnvSchema = z.object(kubernetesEnvShape);
export type KubernetesEnv = z.infer<typeof kubernetesEnvSchema>;

/** The dispatcher's settings in the shape it uses (durations in milliseconds). */
export interface KubernetesDispatchConfig {
  namespace: string;
  kubeconfigPath?: string;
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  imagePullSecrets: string[];
  serviceAccount: string;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  defaultResources: { cpu: string; memory: string };
  servedLabels: string[];
  maxConcurrentJobs: number;
  runnerEnv: {
    controllerUrl: string;
    logsUrl: string;
    cacheUrl: string;
    home: string;
    runnerTokenSecret?: { name: string; key: string };
  };
  runAsUser: number;
  defaultTimeoutMs: number;
  deadlineGraceMs: number;
  jobTtlMs: number;
  imagePullGraceMs: number;
  unschedulableGraceMs: number;
  resyncIntervalMs: number;
  /** DinD wiring, registry and warm PVC pools (docs/docker-builds.md). */
  docker: DockerDispatchConfig;
}

export function toKubernetesDispatchConfig(env: KubernetesEnv): KubernetesDispatchConfig {
  const docker = dockerDispatchConfigFrom(env);
  return {
    namespace: env.POD_NAMESPACE,
    ...(env.KUBECONFIG ? { kubeconfigPath: env.KUBECONFIG } : {}),
    image: env.SPARKWING_RUNNER_IMAGE,
    imagePullPolicy: env.SPARKWING_RUNNER_IMAGE_PULL_POLICY,
    imagePullSecrets: env.SPARKWING_RUNNER_IMAGE_PULL_SECRETS,
    serviceAccount: env.SPARKWING_RUNNER_SERVICE_ACCOUNT,
    nodeSelector: env.SPARKWING_RUNNER_NODE_SELECTOR,
    tolerations: env.SPARKWING_RUNNER_TOLERATIONS,
    defaultResources: { cpu: env.SPARKWING_RUNNER_DEFAULT_CPU, memory: env.SPARKWING_RUNNER_DEFAULT_MEMORY },
    servedLabels: [...new Set([...env.SPARKWING_DISPATCHER_LABELS, ...dockerLabels(docker)])],
    maxConcurrentJobs: env.SPARKWING_DISPATCHER_MAX_JOBS,
    runnerEnv: {
      controllerUrl: env.SPARKWING_RUNNER_CONTROLLER_URL,
      logsUrl: env.SPARKWING_RUNNER_LOGS_URL,
      cacheUrl: env.SPARKWING_RUNNER_CACHE_URL,
      home: env.SPARKWING_RUNNER_HOME,
      ...(env.SPARKWING_RUNNER_TOKEN_SECRET
        ? {
            runnerTokenSecret: {
              name: env.SPARKWING_RUNNER_TOKEN_SECRET,
              key: env.SPARKWING_RUNNER_TOKEN_SECRET_KEY,
            },
          }
        : {}),
    },
    runAsUser: env.SPARKWING_RUNNER_UID,
    defaultTimeoutMs: env.SPARKWING_RUNNER_DEFAULT_TIMEOUT,
    deadlineGraceMs: env.SPARKWING_RUNNER_DEADLINE_GRACE,
    jobTtlMs: env.SPARKWING_RUNNER_JOB_TTL,
    imagePullGraceMs: env.SPARKWING_IMAGE_PULL_GRACE,
    unschedulableGraceMs: env.SPARKWING_UNSCHEDULABLE_GRACE,
    resyncIntervalMs: env.SPARKWING_DISPATCHER_RESYNC_INTERVAL,
    docker,
  };
}

/** Parses the dispatcher's variables on their own (tests, tools); main.ts gets them from the controller schema. */
export function parseKubernetesDispatchConfig(
  env: Record<string, string | undefined>,
): KubernetesDispatchConfig {
  return toKubernetesDispatchConfig(kubernetesEnvSchema.parse(env));
}
