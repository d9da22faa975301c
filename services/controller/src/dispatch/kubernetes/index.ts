export {
  type KubernetesDispatchConfig,
  kubernetesEnvSchema,
  kubernetesEnvShape,
  parseKubernetesDispatchConfig,
  toKubernetesDispatchConfig,
} from './config.js';
export { type DispatchQueue, KubernetesDispatcher, type KubernetesDispatcherDeps } from './dispatcher.js';
export { jobName, LABELS, RUNNER_SELECTOR } from './job-spec.js';
export * from './metrics.js';
