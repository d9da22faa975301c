import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimDir } from './container-env.js';
import { FakeJobController } from './job-controller.js';
import { type CommandResolver, FakeKubelet } from './kubelet.js';
import { DEFAULT_ALLOCATABLE, type NodeAllocatable } from './node-fit.js';
import { ObjectStore } from './store.js';
import { type KubeObject, now, type Pod, type ResourceKind } from './types.js';

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface FakeClusterOptions {
  /** Maps container commands to local processes (e.g. `sparkwing-runner` → `node …/sparkwing-runner.js`). */
  resolveCommand?: CommandResolver;
  /** Environment every container starts with (default: this process's PATH only). */
  baseEnv?: Record<string, string>;
  /** Enforce memory limits through cgroups when writable (default true). */
  enforceMemoryLimits?: boolean;
  /** Cap on termination grace periods in seconds (default 2). */
  maxGraceSeconds?: number;
  /** Watch history kept for resume before 410 Gone (default 5000 events). */
  historyLimit?: number;
  /** Capacity of the node (default 16 CPUs, 64Gi): pods requesting more stay Unschedulable. */
  allocatable?: NodeAllocatable;
  /** Whether the registry has an image (default: every image exists). */
  imageExists?: (image: string) => boolean;
  /** Spawn containers as their runAsUser/runAsGroup/fsGroup when this process is root (default false). */
  runAsUser?: boolean;
}

/** The fake cluster's state machines, independent of HTTP: store, Job controller, kubelet, garbage collector. */
export class FakeCluster {
  readonly store: ObjectStore;
  readonly kubelet: FakeKubelet;
  readonly jobs: FakeJobController;
  private readonly sandboxRoot: string;
  /** When set, `pods/log` answers 403 Forbidden. */
  podLogsDenied = false;
  private readonly failures: Array<{
    verb: string;
    kind: ResourceKind;
    code: number;
    remaining: number;
    nameIncludes?: string;
  }> = [];

  constructor(options: FakeClusterOptions = {}) {
    this.store = new ObjectStore(options.historyLimit);
    this.sandboxRoot = mkdtempSync(join(tmpdir(), 'fake-kube-'));
    // Traversable (not listable) by the uids containers may run as.
    chmodSync(this.sandboxRoot, 0o711);
    const recordEvent = this.recordEvent.bind(this);
    this.kubelet = new FakeKubelet(this.store, {
      sandboxRoot: this.sandboxRoot,
      recordEvent,
      allocatable: options.allocatable ?? DEFAULT_ALLOCATABLE,
      ...(options.imageExists ? { imageExists: options.imageExists } : {}),
      ...(options.runAsUser ? { runAsUser: true } : {}),
      ...(options.resolveCommand ? { resolveCommand: options.resolveCommand } : {}),
      ...(options.baseEnv ? { baseEnv: options.baseEnv } : {}),
      ...(options.enforceMemoryLimits !== undefined
        ? { enforceMemoryLimits: options.enforceMemoryLimits }
        : {}),
      ...(options.maxGraceSeconds !== undefined ? { maxGraceSeconds: options.maxGraceSeconds } : {}),
    });
    this.jobs = new FakeJobController(this.store, {
      recordEvent,
      deleteObject: (kind, namespace, name, policy) =>
        this.delete(kind, namespace, name, { propagationPolicy: policy }),
    });
    this.kubelet.start();
    this.jobs.start();
    // The fake provisioner's reclaim policy is Delete: a claim's data goes with it.
    this.store.subscribe((event) => {
      if (event.kind === 'persistentvolumeclaims' && event.type === 'DELETED') {
        const meta = event.object.metadata;
        rmSync(this.claimPath(meta.namespace!, meta.name!), { recursive: true, force: true });
      }
    });
  }

  /** The directory holding a PersistentVolumeClaim's data (what pods that mount it read and write). */
  claimPath(namespace: string, name: string): string {
    return claimDir(this.sandboxRoot, namespace, name);
  }

  async close(): Promise<void> {
    this.jobs.stop();
    await this.kubelet.stop();
    rmSync(this.sandboxRoot, { recursive: true, force: true });
  }

  recordEvent(
    involved: KubeObject,
    kind: string,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): void {
    const namespace = involved.metadata.namespace ?? 'default';
    const timestamp = now().replace(/\.\d+Z$/, 'Z');
    this.store.create('events', namespace, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}` },
      involvedObject: {
        apiVersion: kind === 'Job' ? 'batch/v1' : 'v1',
        kind,
        namespace,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      source: { component: kind === 'Job' ? 'job-controller' : 'kubelet', host: 'fake-node-1' },
      reportingComponent: kind === 'Job' ? 'job-controller' : 'kubelet',
      reportingInstance: 'fake-node-1',
    });
  }

  /**
   * Deletes an object with Kubernetes semantics: pods terminate gracefully; owners propagate to their
   * dependents per policy (Jobs default to Orphan, as batch/v1 does; Foreground keeps the owner, marked
   * with a deletionTimestamp, until its dependents are gone).
   */
  delete(
    kind: ResourceKind,
    namespace: string,
    name: string,
    options: { propagationPolicy?: PropagationPolicy; gracePeriodSeconds?: number } = {},
  ): KubeObject | undefined {
    const object = this.store.get(kind, namespace, name);
    if (!object) return undefined;
    if (kind === 'pods') {
      this.kubelet.delete(object as Pod, options.gracePeriodSeconds);
      return this.store.get(kind, namespace, name) ?? object;
    }
    const policy = options.propagationPolicy ?? (kind === 'jobs' ? 'Orphan' : 'Background');
    const uid = object.metadata.uid!;
    const dependents = this.store.dependentsOf(uid);
    if (policy === 'Orphan') {
      for (const d of dependents) {
        this.store.update(d.kind, d.object.metadata.namespace!, d.object.metadata.name!, (o) => {
          o.metadata.ownerReferences = o.metadata.ownerReferences?.filter((r) => r.uid !== uid);
        });
      }
      return this.store.remove(kind, namespace, name);
    }
    if (policy === 'Background' || dependents.length === 0) {
      const removed = this.store.remove(kind, namespace, name);
      for (const d of dependents)
        this.delete(d.kind, d.object.metadata.namespace!, d.object.metadata.name!, {
          propagationPolicy: 'Background',
        });
      return removed;
    }
    const marked = this.store.update(kind, namespace, name, (o) => {
      o.metadata.deletionTimestamp ??= now();
      o.metadata.finalizers = [...new Set([...(o.metadata.finalizers ?? []), 'foregroundDeletion'])];
    });
    for (const d of dependents)
      this.delete(d.kind, d.object.metadata.namespace!, d.object.metadata.name!, {
        propagationPolicy: 'Foreground',
      });
    const finish = () => {
      if (this.store.dependentsOf(uid).length > 0) return;
      unsubscribe();
      const current = this.store.get(kind, namespace, name);
      if (current?.metadata.uid === uid) this.store.remove(kind, namespace, name);
    };
    const unsubscribe = this.store.subscribe(finish);
    // Dependents that needed no grace period are already gone.
    finish();
    return marked;
  }

  /** Test hook: evicts a pod (phase Failed, reason Evicted) and kills its container. */
  evictPod(namespace: string, name: string, message = 'The node was low on resource: memory.'): void {
    const pod = this.store.get('pods', namespace, name) as Pod | undefined;
    if (!pod) throw new Error(`no pod ${namespace}/${name}`);
    this.kubelet.evict(pod, message);
  }

  /** Test hook: pods whose image matches stay waiting with this reason until the returned release is called. */
  holdImagePull(
    image: string | RegExp | ((image: string) => boolean),
    options: { reason?: 'ImagePullBackOff' | 'ErrImagePull'; message?: string } = {},
  ): () => void {
    const match =
      typeof image === 'function'
        ? image
        : image instanceof RegExp
          ? (i: string) => image.test(i)
          : (i: string) => i === image;
    return this.kubelet.holdImagePull({
      match,
      reason: options.reason ?? 'ImagePullBackOff',
      ...(options.message ? { message: options.message } : {}),
    });
  }

  /** Test hook: matching pods stay Pending with PodScheduled=False/Unschedulable until released. */
  holdScheduling(
    match: (pod: Pod) => boolean,
    message = '0/1 nodes are available: 1 Insufficient memory.',
  ): () => void {
    return this.kubelet.holdScheduling(match, message);
  }

  /** Test hook: `pods/log` answers 403 Forbidden while denied. */
  denyPodLogs(denied = true): void {
    this.podLogsDenied = denied;
  }

  /** Test hook: the next `count` requests of this verb on this kind answer `code` (an InternalError by default). */
  failRequests(
    verb: 'create' | 'delete' | 'list' | 'patch',
    kind: ResourceKind,
    options: { code?: number; count?: number; nameIncludes?: string } = {},
  ): void {
    this.failures.push({
      verb,
      kind,
      code: options.code ?? 500,
      remaining: options.count ?? 1,
      ...(options.nameIncludes ? { nameIncludes: options.nameIncludes } : {}),
    });
  }

  /** Consumes an injected failure for this request, if one is pending. */
  takeFailure(verb: string, kind: ResourceKind, name = ''): number | undefined {
    const failure = this.failures.find(
      (f) =>
        f.verb === verb &&
        f.kind === kind &&
        f.remaining > 0 &&
        (f.nameIncludes === undefined || name.includes(f.nameIncludes)),
    );
    if (!failure) return undefined;
    failure.remaining -= 1;
    return failure.code;
  }

  private readonly watches = new Set<() => void>();

  registerWatch(close: () => void): () => void {
    this.watches.add(close);
    return () => this.watches.delete(close);
  }

  /** Test hook: ends every open watch stream (clients see the connection close and must resume). */
  closeWatches(): void {
    for (const close of [...this.watches]) close();
  }

  /** Test hook: forget the watch history, so resuming from any older resourceVersion gets 410 Gone. */
  compactWatchHistory(): void {
    this.store.compact();
  }
}
