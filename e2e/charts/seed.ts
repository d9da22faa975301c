/**
 * The deployment topology of seed 002 (architecture page), transcribed once for the chart tests:
 * internal service addresses and ports, storage, and the network-policy allow table.
 */
export const NAMESPACE = 'sparkwing';

export const SERVICES = {
  controller: {
    name: 'sparkwing-controller',
    host: 'sparkwing-controller.sparkwing.svc.cluster.local',
    port: 80,
    targetPort: 8080,
  },
  cache: {
    name: 'sparkwing-cache',
    host: 'sparkwing-cache.sparkwing.svc.cluster.local',
    port: 80,
    targetPort: 8090,
  },
  logs: {
    name: 'sparkwing-logs',
    host: 'sparkwing-logs.sparkwing.svc.cluster.local',
    port: 80,
    targetPort: 8091,
  },
  dind: { name: 'dind', host: 'dind.sparkwing.svc.cluster.local', port: 2375, targetPort: 2375 },
  web: {
    name: 'sparkwing-web',
    host: 'sparkwing-web.sparkwing.svc.cluster.local',
    port: 3100,
    targetPort: 3100,
  },
  registry: {
    name: 'registry',
    host: 'registry.registry.svc.cluster.local',
    port: 5000,
    targetPort: 5000,
    nodePort: 30500,
  },
} as const;

/** "Accepts traffic from" per component; `external` is anything outside the cluster, `nodes` the nodes. */
export const ALLOW_TABLE: Record<string, string[]> = {
  controller: ['external', 'runner', 'web'],
  cache: ['controller', 'runner'],
  dind: ['controller', 'runner'],
  web: ['external'],
  logs: ['runner', 'web'],
  registry: ['nodes', 'runner'],
  // Not in the table: runners accept nothing (warm pool and dispatcher Jobs alike).
  runner: [],
};

/** Storage table: which components keep a PVC, and where the data lives. */
export const STORAGE = {
  controller: '/data',
  cache: '/data',
  logs: '/data',
  dind: '/var/lib/docker',
  registry: '/var/lib/registry',
} as const;

/** Env vars the seed says runners get (the dispatcher adds run/node ids and the node token per Job). */
export const RUNNER_ENV = [
  'SPARKWING_CONTROLLER_URL',
  'SPARKWING_LOGS_URL',
  'SPARKWING_CACHE_URL',
  'SPARKWING_HOME',
];
