import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A per-container memory cgroup: the kernel enforces the limit, so exceeding it is a real OOM kill. */
export interface MemoryCgroup {
  version: 'v1' | 'v2';
  path: string;
  /** The file a process writes its pid to in order to join. */
  procsFile: string;
  /** How many processes the kernel OOM killer has killed in this cgroup. */
  oomKills(): number;
  /** Kills whatever is left in the cgroup and removes it. */
  dispose(): void;
}

const V1_ROOT = '/sys/fs/cgroup/memory';
const V2_ROOT = '/sys/fs/cgroup';
const PARENT = 'sparkwing-fake-kube';

function readCounter(file: string, field: string): number {
  try {
    const line = readFileSync(file, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field} `));
    return line ? Number(line.split(' ')[1]) : 0;
  } catch {
    return 0;
  }
}

function killAll(procsFile: string): void {
  try {
    for (const pid of readFileSync(procsFile, 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // cgroup already removed
  }
}

function removeWhenEmpty(path: string, procsFile: string): void {
  for (let i = 0; i < 50; i++) {
    killAll(procsFile);
    try {
      rmdirSync(path);
      return;
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

function createV1(name: string, limitBytes: number): MemoryCgroup | null {
  if (!existsSync(join(V1_ROOT, 'memory.limit_in_bytes'))) return null;
  const path = join(V1_ROOT, PARENT, name);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'memory.limit_in_bytes'), String(limitBytes));
  const procsFile = join(path, 'cgroup.procs');
  return {
    version: 'v1',
    path,
    procsFile,
    oomKills: () => readCounter(join(path, 'memory.oom_control'), 'oom_kill'),
    dispose: () => removeWhenEmpty(path, procsFile),
  };
}

function createV2(name: string, limitBytes: number): MemoryCgroup | null {
  const controllers = join(V2_ROOT, 'cgroup.controllers');
  if (!existsSync(controllers) || !readFileSync(controllers, 'utf8').split(/\s+/).includes('memory'))
    return null;
  writeFileSync(join(V2_ROOT, 'cgroup.subtree_control'), '+memory');
  const parent = join(V2_ROOT, PARENT);
  mkdirSync(parent, { recursive: true });
  writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory');
  const path = join(parent, name);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'memory.max'), String(limitBytes));
  writeFileSync(join(path, 'memory.swap.max'), '0');
  const procsFile = join(path, 'cgroup.procs');
  return {
    version: 'v2',
    path,
    procsFile,
    oomKills: () => readCounter(join(path, 'memory.events'), 'oom_kill'),
    dispose: () => removeWhenEmpty(path, procsFile),
  };
}

/**
 * Creates a memory cgroup with the given limit: cgroup v1 (`memory.limit_in_bytes`) when the memory
 * controller is mounted there, v2 (`memory.max`) otherwise. Null when neither is writable (then limits
 * are not enforced and the fake cannot produce real OOM kills).
 */
export function createMemoryCgroup(name: string, limitBytes: number): MemoryCgroup | null {
  for (const create of [createV1, createV2]) {
    try {
      const cgroup = create(name, limitBytes);
      if (cgroup) return cgroup;
    } catch {
      // not writable here; try the next layout
    }
  }
  return null;
}

/** True when this machine lets the fake kubelet enforce memory limits through a cgroup. */
export function memoryCgroupsWritable(): boolean {
  const probe = createMemoryCgroup(`probe-${process.pid}`, 64 * 1024 * 1024);
  probe?.dispose();
  return probe !== null;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Parses a Kubernetes memory quantity (`512Mi`, `1G`, `1048576`) into bytes; undefined when invalid. */
export function parseMemory(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(text.trim());
  if (!match) return undefined;
  const unit = match[2];
  const factor = unit === undefined ? 1 : (BINARY[unit] ?? DECIMAL[unit] ?? 1);
  return Math.round(Number(match[1]) * factor);
}
