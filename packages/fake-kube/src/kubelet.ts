import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { createMemoryCgroup, type MemoryCgroup, parseMemory } from './cgroup.js';
import { mapPath, resolveContainerEnv, volumeDirs } from './container-env.js';
import { asIdentity, identityOf } from './identity.js';
import { imageNotFoundMessage, insufficientResources, type NodeAllocatable } from './node-fit.js';
import { ContainerLog } from './pod-logs.js';
import { containerStatus, setCondition } from './pod-status.js';
import { type RunningSidecar, sidecarsOf, startSidecars, stopSidecars } from './sidecars.js';
import type { ObjectStore } from './store.js';
import { type Container, type KubeObject, now, type Pod } from './types.js';

/** What the kubelet actually executes for a container. */
export interface ResolvedCommand {
  command: string;
  args: string[];
  /** Extra environment merged over the pod's. */
  env?: Record<string, string>;
}

export interface CommandResolverInput {
  pod: Pod;
  container: Container;
  /** `command` followed by `args` from the container spec. */
  argv: string[];
  env: Record<string, string>;
  sandboxDir: string;
}

/** Maps a container (image + command) to a local process; null means "executable not found". */
export type CommandResolver = (input: CommandResolverInput) => ResolvedCommand | null;

export interface KubeletOptions {
  resolveCommand?: CommandResolver;
  /** Environment every container starts with before the pod's env (default: PATH only). */
  baseEnv?: Record<string, string>;
  /** Where pod sandboxes (cwd, emptyDir volumes) live. */
  sandboxRoot: string;
  /** Enforce `limits.memory` through a memory cgroup when writable (default true). */
  enforceMemoryLimits?: boolean;
  /** Upper bound on a deleted pod's termination grace period, so tests never wait 30 s. */
  maxGraceSeconds?: number;
  /** Delay between reporting ContainerCreating and starting the process. */
  startDelayMs?: number;
  /** Capacity of the one node: pods requesting more stay Unschedulable. */
  allocatable: NodeAllocatable;
  /** Whether the registry has an image; a missing one fails ErrImagePull (NotFound) forever. */
  imageExists?: (image: string) => boolean;
  /** Run containers as their securityContext runAsUser/runAsGroup/fsGroup (needs root; default false). */
  runAsUser?: boolean;
  recordEvent: (
    involved: KubeObject,
    kind: string,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) => void;
}

interface ImagePullHold {
  match: (image: string) => boolean;
  reason: string;
  message?: string;
}

interface Runtime {
  child?: ChildProcess;
  cgroup?: MemoryCgroup | null;
  log: ContainerLog;
  startedAt?: string;
  stopped: boolean;
  evicted: boolean;
  sandboxDir: string;
  sidecars: RunningSidecar[];
}

const POLL_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs each pod's single container as a local process and reports its state like a real kubelet. */
export class FakeKubelet {
  private readonly runtimes = new Map<string, Runtime>();
  private readonly pullHolds: ImagePullHold[] = [];
  private readonly scheduleHolds: Array<{ match: (pod: Pod) => boolean; message: string }> = [];
  private unsubscribe: () => void = () => {};

  constructor(
    private readonly store: ObjectStore,
    private readonly options: KubeletOptions,
  ) {}

  start(): void {
    this.unsubscribe = this.store.subscribe((event) => {
      if (event.kind === 'pods' && event.type === 'ADDED') void this.run(event.object as Pod);
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    for (const runtime of this.runtimes.values()) {
      runtime.stopped = true;
      this.signal(runtime, 'SIGKILL');
    }
    await sleep(50);
    for (const runtime of this.runtimes.values()) runtime.cgroup?.dispose();
  }

  logOf(uid: string): ContainerLog | undefined {
    return this.runtimes.get(uid)?.log;
  }

  holdImagePull(hold: ImagePullHold): () => void {
    this.pullHolds.push(hold);
    return () => {
      const index = this.pullHolds.indexOf(hold);
      if (index >= 0) this.pullHolds.splice(index, 1);
    };
  }

  holdScheduling(match: (pod: Pod) => boolean, message: string): () => void {
    const hold = { match, message };
    this.scheduleHolds.push(hold);
    return () => {
      const index = this.scheduleHolds.indexOf(hold);
      if (index >= 0) this.scheduleHolds.splice(index, 1);
    };
  }

  private update(pod: Pod, change: (p: Pod) => void): Pod | undefined {
    return this.store.update('pods', pod.metadata.namespace!, pod.metadata.name!, (o) => change(o as Pod)) as
      | Pod
      | undefined;
  }

  private async run(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid!;
    const sandboxDir = join(
      this.options.sandboxRoot,
      `${pod.metadata.namespace}_${pod.metadata.name}_${uid.slice(0, 8)}`,
    );
    const runtime: Runtime = {
      log: new ContainerLog(),
      stopped: false,
      evicted: false,
      sandboxDir,
      sidecars: [],
    };
    this.runtimes.set(uid, runtime);
    this.update(pod, (p) => {
      p.status = { phase: 'Pending', qosClass: 'Burstable' };
    });

    const tooBig = insufficientResources(pod, this.options.allocatable);
    while (!runtime.stopped) {
      const hold = this.scheduleHolds.find((h) => h.match(pod));
      // As the scheduler does, a pod whose PersistentVolumeClaim does not exist is not scheduled.
      const claim = (pod.spec.volumes ?? [])
        .map((v) => v.persistentVolumeClaim?.claimName)
        .find((name) => name && !this.store.get('persistentvolumeclaims', pod.metadata.namespace!, name));
      const message =
        tooBig ?? hold?.message ?? (claim ? `persistentvolumeclaim "${claim}" not found` : undefined);
      if (!message) break;
      this.update(pod, (p) => setCondition(p, 'PodScheduled', 'False', 'Unschedulable', message));
      await sleep(POLL_MS);
    }
    if (runtime.stopped) return;
    this.update(pod, (p) => {
      p.spec.nodeName = 'fake-node-1';
      p.status.hostIP = '127.0.0.1';
      p.status.podIP = '127.0.0.1';
      p.status.startTime = now();
      setCondition(p, 'PodScheduled', 'True');
      setCondition(p, 'Initialized', 'True');
      setCondition(p, 'Ready', 'False', 'ContainersNotReady', 'containers with unready status: [runner]');
      p.status.containerStatuses = containerStatus(p, { waiting: { reason: 'ContainerCreating' } });
    });
    this.options.recordEvent(
      pod,
      'Pod',
      'Normal',
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to fake-node-1`,
    );

    const image = pod.spec.containers[0]!.image ?? '';
    let pullFailed = false;
    while (!runtime.stopped) {
      const missing = this.options.imageExists?.(image) === false;
      const hold = missing
        ? { reason: 'ErrImagePull', message: imageNotFoundMessage(image) }
        : this.pullHolds.find((h) => h.match(image));
      if (!hold) break;
      const message = hold.message ?? `Back-off pulling image "${image}"`;
      if (!pullFailed)
        this.options.recordEvent(
          pod,
          'Pod',
          'Warning',
          'Failed',
          `Failed to pull image "${image}": ${message}`,
        );
      pullFailed = true;
      this.update(pod, (p) => {
        p.status.containerStatuses = containerStatus(p, { waiting: { reason: hold.reason, message } });
      });
      await sleep(POLL_MS);
    }
    if (runtime.stopped) return;
    if (pullFailed) {
      this.update(pod, (p) => {
        p.status.containerStatuses = containerStatus(p, { waiting: { reason: 'ContainerCreating' } });
      });
    }
    this.options.recordEvent(
      pod,
      'Pod',
      'Normal',
      'Pulled',
      `Container image "${image}" already present on machine`,
    );

    let env: Record<string, string> | null = null;
    while (!runtime.stopped) {
      const resolved = resolveContainerEnv(this.store, pod, sandboxDir, this.options.baseEnv);
      const sidecarError = sidecarsOf(pod)
        .map((c) => resolveContainerEnv(this.store, pod, sandboxDir, this.options.baseEnv, c))
        .find((e) => typeof e === 'string');
      if (typeof resolved !== 'string' && sidecarError === undefined) {
        env = resolved;
        break;
      }
      this.update(pod, (p) => {
        p.status.containerStatuses = containerStatus(p, {
          waiting: {
            reason: 'CreateContainerConfigError',
            message: typeof resolved === 'string' ? resolved : (sidecarError as string),
          },
        });
      });
      await sleep(POLL_MS * 2);
    }
    if (runtime.stopped || !env) return;
    await sleep(this.options.startDelayMs ?? 50);
    if (runtime.stopped) return;
    this.spawnContainer(pod, runtime, env);
  }

  private spawnContainer(pod: Pod, runtime: Runtime, env: Record<string, string>): void {
    const container = pod.spec.containers[0]!;
    const mounts = volumeDirs(pod, runtime.sandboxDir);
    mkdirSync(runtime.sandboxDir, { recursive: true, mode: 0o755 });
    // emptyDirs are world-writable, as the kubelet creates them, so any runAsUser can write there.
    for (const m of mounts) {
      mkdirSync(m.dir, { recursive: true });
      chmodSync(m.dir, 0o777);
    }
    const argv = [...(container.command ?? []), ...(container.args ?? [])];
    const resolver = this.options.resolveCommand ?? defaultResolver;
    const sidecars = startSidecars({
      pod,
      sandboxDir: runtime.sandboxDir,
      envOf: (c) =>
        resolveContainerEnv(this.store, pod, runtime.sandboxDir, this.options.baseEnv, c) as Record<
          string,
          string
        >,
      resolve: resolver,
    });
    if ('error' in sidecars) {
      this.terminate(pod, runtime, { exitCode: 128, reason: 'StartError', message: sidecars.error });
      return;
    }
    runtime.sidecars = sidecars.running;
    const resolved =
      argv.length > 0 ? resolver({ pod, container, argv, env, sandboxDir: runtime.sandboxDir }) : null;
    if (!resolved) {
      this.terminate(pod, runtime, {
        exitCode: 128,
        reason: 'StartError',
        message: `failed to create containerd task: exec: "${argv[0] ?? ''}": executable file not found in $PATH`,
      });
      return;
    }
    const limit = parseMemory(container.resources?.limits?.memory);
    if (limit !== undefined && this.options.enforceMemoryLimits !== false) {
      runtime.cgroup = createMemoryCgroup(`${pod.metadata.uid}-${randomBytes(3).toString('hex')}`, limit);
    }
    const command = asIdentity(this.options.runAsUser ? identityOf(pod, container) : null, [
      resolved.command,
      ...resolved.args,
    ]);
    const [file, ...args] = runtime.cgroup
      ? ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', runtime.cgroup.procsFile, ...command]
      : command;
    const cwd = container.workingDir ? mapPath(container.workingDir, mounts) : runtime.sandboxDir;
    mkdirSync(cwd, { recursive: true });
    const child = spawn(file!, args, {
      env: { ...env, ...resolved.env },
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    runtime.child = child;
    runtime.startedAt = now();
    child.stdout!.on('data', (chunk: Buffer) => runtime.log.write('stdout', chunk));
    child.stderr!.on('data', (chunk: Buffer) => runtime.log.write('stderr', chunk));
    let spawnError: Error | undefined;
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      if (spawnError && code === null && signal === null) {
        this.terminate(pod, runtime, { exitCode: 128, reason: 'StartError', message: spawnError.message });
        return;
      }
      const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 9) : 9);
      const oomKilled = (runtime.cgroup?.oomKills() ?? 0) > 0;
      const reason = oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
      // Like the kubelet, the pod ends only once its sidecars have stopped (volumes are released then).
      void this.stopSidecars(runtime).then(() =>
        this.terminate(pod, runtime, {
          exitCode,
          reason,
          ...(signal ? { signal: constants.signals[signal] } : {}),
        }),
      );
    });
    if (runtime.stopped) this.signal(runtime, 'SIGKILL');
    this.options.recordEvent(pod, 'Pod', 'Normal', 'Started', `Started container ${container.name}`);
    this.update(pod, (p) => {
      p.status.phase = 'Running';
      setCondition(p, 'ContainersReady', 'True');
      setCondition(p, 'Ready', 'True');
      p.status.containerStatuses = containerStatus(p, { running: { startedAt: runtime.startedAt! } }, true);
    });
  }

  private terminate(
    pod: Pod,
    runtime: Runtime,
    result: { exitCode: number; reason: string; message?: string; signal?: number },
  ): void {
    runtime.log.end();
    runtime.cgroup?.dispose();
    runtime.cgroup = null;
    runtime.child = undefined;
    if (!runtime.evicted) {
      this.update(pod, (p) => {
        p.status.phase = result.exitCode === 0 ? 'Succeeded' : 'Failed';
        setCondition(p, 'ContainersReady', 'False', 'PodCompleted');
        setCondition(p, 'Ready', 'False', 'PodCompleted');
        p.status.containerStatuses = containerStatus(p, {
          terminated: {
            ...result,
            startedAt: runtime.startedAt ?? now(),
            finishedAt: now(),
            containerID: `fake://${p.metadata.uid}`,
          },
        });
      });
    }
    const current = this.store.get('pods', pod.metadata.namespace!, pod.metadata.name!);
    if (current?.metadata.deletionTimestamp) this.finishDeletion(pod);
  }

  /** SIGTERM, then SIGKILL after the grace cap; resolves when every sidecar process has exited. */
  private async stopSidecars(runtime: Runtime): Promise<void> {
    const alive = () =>
      runtime.sidecars.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
    if (alive().length === 0) return;
    stopSidecars(runtime.sidecars, 'SIGTERM');
    const deadline = Date.now() + (this.options.maxGraceSeconds ?? 2) * 1000;
    while (alive().length > 0 && Date.now() < deadline) await sleep(20);
    stopSidecars(runtime.sidecars, 'SIGKILL');
    while (alive().length > 0) await sleep(20);
  }

  private signal(runtime: Runtime, signal: NodeJS.Signals): void {
    if (signal === 'SIGKILL') stopSidecars(runtime.sidecars, 'SIGKILL');
    const pid = runtime.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // already exited
      }
    }
  }

  /** Marks the pod evicted (phase Failed, reason Evicted) and kills its container. */
  evict(pod: Pod, message: string): void {
    const runtime = this.runtimes.get(pod.metadata.uid!);
    if (runtime) {
      runtime.evicted = true;
      runtime.stopped = true;
    }
    this.update(pod, (p) => {
      p.status.phase = 'Failed';
      p.status.reason = 'Evicted';
      p.status.message = message;
      const startedAt = runtime?.startedAt ?? now();
      p.status.containerStatuses = containerStatus(p, {
        terminated: { exitCode: 137, reason: 'Error', startedAt, finishedAt: now() },
      });
    });
    this.options.recordEvent(pod, 'Pod', 'Warning', 'Evicted', message);
    if (runtime) this.signal(runtime, 'SIGKILL');
  }

  /** Graceful deletion: SIGTERM, SIGKILL after the grace period, then the object disappears. */
  delete(pod: Pod, graceSeconds: number | undefined): void {
    if (pod.metadata.deletionTimestamp) return;
    const grace = Math.min(
      graceSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30,
      this.options.maxGraceSeconds ?? 2,
    );
    this.update(pod, (p) => {
      p.metadata.deletionTimestamp = now();
      p.metadata.deletionGracePeriodSeconds = grace;
    });
    const runtime = this.runtimes.get(pod.metadata.uid!);
    if (!runtime?.child || grace === 0) {
      if (runtime) {
        runtime.stopped = true;
        this.signal(runtime, 'SIGKILL');
      }
      if (!runtime?.child) this.finishDeletion(pod);
      return;
    }
    runtime.stopped = true;
    this.options.recordEvent(
      pod,
      'Pod',
      'Normal',
      'Killing',
      `Stopping container ${pod.spec.containers[0]!.name}`,
    );
    this.signal(runtime, 'SIGTERM');
    setTimeout(() => this.signal(runtime, 'SIGKILL'), grace * 1000).unref();
  }

  private finishDeletion(pod: Pod): void {
    const runtime = this.runtimes.get(pod.metadata.uid!);
    this.runtimes.delete(pod.metadata.uid!);
    if (runtime) rmSync(runtime.sandboxDir, { recursive: true, force: true });
    this.store.remove('pods', pod.metadata.namespace!, pod.metadata.name!);
  }
}

function defaultResolver(input: CommandResolverInput): ResolvedCommand {
  const [command, ...args] = input.argv;
  return { command: command!, args };
}
