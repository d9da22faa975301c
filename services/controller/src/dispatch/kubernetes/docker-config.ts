import { durationSchema } from '@sparkwing/contracts';
import { z } from 'zod';
import { jsonArraySetting } from '../../settings.js';

/** Runner label every Docker-capable runner advertises; `requires('docker')` asks for one. */
export const DOCKER_LABEL = 'docker';
/** Runner label term of a warm cache from pool `name` (SDK `cache(name)`; `docker()` is `cache('docker')`). */
export const cacheLabel = (pool: string): string => `cache:${pool}`;

const POOL_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

const poolSchema = z.strictObject({
  // Pool name: the label value on its PVCs and the `cache:<name>` term nodes require.
  name: z.string().regex(POOL_NAME, 'a DNS label of at most 32 characters'),
  // PVCs kept even when idle (created at start and after reaps).
  min: z.number().int().min(0).max(1_000).default(0),
  // Upper bound on PVCs of the pool, checked out or not.
  max: z.number().int().min(1).max(1_000),
  // Requested size of each PVC.
  size: z.string().regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'a Kubernetes quantity such as 20Gi'),
  // StorageClass of the PVCs (the cluster default when absent).
  storageClass: z.string().min(1).optional(),
  // How long a node waits for a PVC to be returned when the pool is at max before running cold.
  wait: z.string().default('30s').pipe(durationSchema),
});
export type PvcPoolConfig = Omit<z.infer<typeof poolSchema>, 'wait'> & { waitMs: number };

const pools = jsonArraySetting(poolSchema, 'pools {name, min, max, size, …}').refine(
  (list) => new Set(list.map((p) => p.name)).size === list.length,
  { message: 'pool names must be unique' },
);

/** Docker-related variables of the Kubernetes dispatcher (spread into its env shape). */
export const dockerEnvShape = {
  // How runner Jobs reach a Docker daemon: `none`, `service` (the shared DinD Service at
  // SPARKWING_RUNNER_DOCKER_HOST) or `sidecar` (a privileged DinD sidecar per Job that asks for Docker).
  SPARKWING_RUNNER_DOCKER: z.enum(['none', 'service', 'sidecar']).default('none'),
  // DOCKER_HOST handed to runner pods in `service` mode.
  SPARKWING_RUNNER_DOCKER_HOST: z.string().min(1).default('tcp://dind.sparkwing.svc.cluster.local:2375'),
  // Image of the DinD sidecar in `sidecar` mode.
  SPARKWING_DIND_IMAGE: z.string().min(1).default('docker:28-dind'),
  // Registry address handed to runner pods as SPARKWING_REGISTRY (host[:port], no scheme).
  SPARKWING_REGISTRY: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._/-]+)?$/, 'host[:port][/path] without a scheme')
    .optional(),
  // Existing Secret with keys `username` and `password` for the registry (exposed to runner pods).
  SPARKWING_REGISTRY_SECRET: z.string().min(1).optional(),
  // Warm pools of Docker-cache PVCs as a JSON array; needs SPARKWING_RUNNER_DOCKER=sidecar.
  SPARKWING_PVC_POOLS: pools,
};

export interface DockerDispatchConfig {
  mode: 'none' | 'service' | 'sidecar';
  dockerHost: string;
  dindImage: string;
  registry?: string;
  registrySecret?: string;
  pools: PvcPoolConfig[];
}

export function dockerDispatchConfigFrom(env: {
  SPARKWING_RUNNER_DOCKER: 'none' | 'service' | 'sidecar';
  SPARKWING_RUNNER_DOCKER_HOST: string;
  SPARKWING_DIND_IMAGE: string;
  SPARKWING_REGISTRY?: string | undefined;
  SPARKWING_REGISTRY_SECRET?: string | undefined;
  SPARKWING_PVC_POOLS: z.infer<typeof pools>;
}): DockerDispatchConfig {
  if (env.SPARKWING_PVC_POOLS.length > 0 && env.SPARKWING_RUNNER_DOCKER !== 'sidecar') {
    // A shared DinD service keeps one cache on its own PVC: per-Job cache volumes need a per-Job daemon.
    throw new Error('SPARKWING_PVC_POOLS needs SPARKWING_RUNNER_DOCKER=sidecar');
  }
  for (const pool of env.SPARKWING_PVC_POOLS) {
    if (pool.min > pool.max) throw new Error(`SPARKWING_PVC_POOLS: pool "${pool.name}" has min > max`);
  }
  return {
    mode: env.SPARKWING_RUNNER_DOCKER,
    dockerHost: env.SPARKWING_RUNNER_DOCKER_HOST,
    dindImage: env.SPARKWING_DIND_IMAGE,
    ...(env.SPARKWING_REGISTRY ? { registry: env.SPARKWING_REGISTRY } : {}),
    ...(env.SPARKWING_REGISTRY_SECRET ? { registrySecret: env.SPARKWING_REGISTRY_SECRET } : {}),
    pools: env.SPARKWING_PVC_POOLS.map(({ wait, ...rest }) => ({ ...rest, waitMs: wait })),
  };
}

/** Labels the dispatcher serves because of its Docker setup. */
export function dockerLabels(config: DockerDispatchConfig): string[] {
  if (config.mode === 'none') return [];
  return [DOCKER_LABEL, cacheLabel('docker'), ...config.pools.map((p) => cacheLabel(p.name))].filter(
    (label, i, all) => all.indexOf(label) === i,
  );
}

/** Whether a node's `requires` asks for Docker (a daemon, or a warm cache). */
export function wantsDocker(requires: readonly string[], config: DockerDispatchConfig): boolean {
  const served = new Set(dockerLabels(config));
  return requires.some((term) => term.split(',').some((alt) => served.has(alt.trim())));
}

/** The pool whose warm cache a node asks for (the first `cache:<pool>` term of a configured pool). */
export function poolFor(
  requires: readonly string[],
  config: DockerDispatchConfig,
): PvcPoolConfig | undefined {
  for (const term of requires) {
    for (const alt of term.split(',')) {
      const pool = config.pools.find((p) => cacheLabel(p.name) === alt.trim());
      if (pool) return pool;
    }
  }
  return undefined;
}
