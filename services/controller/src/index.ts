export { createApp, type ControllerApp } from './app.js';
export { type Controller, type ControllerOptions, createController } from './controller.js';
export { type ControllerConfig, configSchema, githubCredentials, parseConfig } from './config.js';
export type { AppEnv, ControllerDeps } from './deps.js';
export { type Clock, ManualClock, systemClock } from './clock.js';
export { type Db, migrationsFolder, openDatabase } from './db/open.js';
export {
  CLAIM_OUTCOMES,
  type ControllerMetrics,
  createControllerMetrics,
  RECOVERY_KINDS,
} from './metrics.js';
export { QueueService, type QueueServiceOptions } from './queue/service.js';
export type { QueueSettings } from './queue/core.js';
export { DEFAULT_SETTINGS } from './queue/core.js';
export type { ClaimFilter } from './queue/claim-ops.js';
export type { ActiveNode, ReadyNode } from './queue/dispatch-reads.js';
export type { NodeReadyEvent, QueueEvents, RunCancelledEvent } from './queue/events.js';
export type { NodeFailure, NodeHeartbeat } from './queue/node-ops.js';
export type { TriggerInput, TriggerResult } from './queue/runs-ops.js';
export type { QueueGauges, SweepReport } from './queue/sweeps.js';
export { Sweeper } from './sweeper.js';
export { TokenStore } from './auth/token-store.js';
export { SecretStore } from './secret-store.js';
export type { Dispatcher } from './dispatch/types.js';
export { signGithubBody } from './webhooks/signature.js';
export { CONTROLLER_VERSION } from './version.js';
export {
  type KubernetesDispatchConfig,
  kubernetesEnvShape,
  parseKubernetesDispatchConfig,
  toKubernetesDispatchConfig,
} from './dispatch/kubernetes/config.js';
export type { DispatchQueue, KubernetesDispatcherDeps } from './dispatch/kubernetes/context.js';
export type { KubernetesDispatcher } from './dispatch/kubernetes/dispatcher.js';

/** The Kubernetes dispatcher class, loaded on demand: `@kubernetes/client-node` is the slowest import here. */
export async function loadKubernetesDispatcher(): Promise<
  typeof import('./dispatch/kubernetes/dispatcher.js').KubernetesDispatcher
> {
  return (await import('./dispatch/kubernetes/dispatcher.js')).KubernetesDispatcher;
}
export { type RepoSource, CacheRepoSource, mirrorName } from './triggers/repo-source.js';
export { ScheduleRunner, type ScheduleTickReport } from './triggers/schedules.js';
export { StatusReporter, type StatusReporterOptions, describeRun } from './triggers/github-status.js';
export { type GithubCredentials, appJwt } from './triggers/github-auth.js';
