export { createMemoryCgroup, type MemoryCgroup, memoryCgroupsWritable, parseMemory } from './cgroup.js';
export { FakeCluster, type FakeClusterOptions, type PropagationPolicy } from './cluster.js';
export { KubeError } from './errors.js';
export { DEFAULT_ALLOCATABLE, type NodeAllocatable } from './node-fit.js';
export type { CommandResolver, CommandResolverInput, ResolvedCommand } from './kubelet.js';
export { createFakeKubeApp, type FakeKube, type FakeKubeOptions, startFakeKube } from './server.js';
export type * from './types.js';
