import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { volumeDirs } from './container-env.js';
import type { CommandResolver } from './kubelet.js';
import { ContainerLog } from './pod-logs.js';
import type { Container, Pod } from './types.js';

/** Native sidecars: init containers with `restartPolicy: Always` (Kubernetes 1.29+). */
export function sidecarsOf(pod: Pod): Container[] {
  return (pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
}

export interface RunningSidecar {
  name: string;
  child: ChildProcess;
  log: ContainerLog;
}

/**
 * Starts a pod's native sidecars before its main container, as the kubelet does; they share the pod's
 * volumes (and, here as in a pod, the host's loopback). Returns an error message when one cannot start.
 */
export function startSidecars(input: {
  pod: Pod;
  sandboxDir: string;
  envOf: (container: Container) => Record<string, string>;
  resolve: CommandResolver;
}): { running: RunningSidecar[] } | { error: string } {
  const running: RunningSidecar[] = [];
  for (const container of sidecarsOf(input.pod)) {
    const env = input.envOf(container);
    const mounts = volumeDirs(input.pod, input.sandboxDir, container);
    for (const m of mounts) mkdirSync(m.dir, { recursive: true });
    const argv = [...(container.command ?? []), ...(container.args ?? [])];
    const resolved =
      argv.length > 0
        ? input.resolve({ pod: input.pod, container, argv, env, sandboxDir: input.sandboxDir })
        : null;
    if (!resolved) {
      stopSidecars(running, 'SIGKILL');
      return {
        error: `failed to create containerd task for sidecar "${container.name}": exec: "${argv[0] ?? ''}": executable file not found in $PATH`,
      };
    }
    const child = spawn(resolved.command, resolved.args, {
      env: { ...env, ...resolved.env },
      cwd: input.sandboxDir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = new ContainerLog();
    child.stdout!.on('data', (chunk: Buffer) => log.write('stdout', chunk));
    child.stderr!.on('data', (chunk: Buffer) => log.write('stderr', chunk));
    child.on('error', () => undefined);
    child.on('close', () => log.end());
    running.push({ name: container.name, child, log });
  }
  return { running };
}

/** Signals every sidecar's process group (the kubelet stops sidecars after the main container exits). */
export function stopSidecars(running: RunningSidecar[], signal: NodeJS.Signals): void {
  for (const sidecar of running) {
    const pid = sidecar.child.pid;
    if (pid === undefined || sidecar.child.exitCode !== null || sidecar.child.signalCode !== null) continue;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }
}
