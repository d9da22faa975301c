export { executeClaim, type ExecutorDeps, type NodeExecution } from './execute-node.js';
export { startPool, type Pool, type PoolOptions } from './pool.js';
export { bundlePipeline, bundleKey, sdkEntry, type BinCache, type BundleResult } from './bundle.js';
export type { NodeLogShipper, ShipperFactory, ShipperTarget } from './shipper.js';
export { createRunnerMetrics, type RunnerMetrics } from './metrics.js';
export { createMetricsApp } from './metrics-server.js';
export { TreeSampler, processTree, killTree } from './proc-tree.js';
export { createMemoryCgroup, type MemoryCgroup } from './cgroup.js';
export { classifyExit } from './classify.js';
