import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A per-node memory cgroup: the node process joins it before exec, the kernel enforces the limit. */
export interface MemoryCgroup {
  version: 1 | 2;
  dir: string;
  procsFile: string;
  /** The cgroup's oom_kill counter: evidence the kernel OOM killer acted inside it. */
  oomKills(): number;
  remove(): void;
}

function ownCgroupPath(version: 1 | 2): string | null {
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, controllers, path] = line.split(':');
      if (path === undefined) continue;
      if (version === 1 && controllers?.split(',').includes('memory')) return path;
      if (version === 2 && controllers === '' && line.startsWith('0::')) return path;
    }
  } catch {
    return null;
  }
  return null;
}

function readCounter(file: string, key: string): number {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, value] = line.trim().split(/\s+/);
      if (name === key) return Number(value);
    }
  } catch {
    return 0;
  }
  return 0;
}

function removeDir(dir: string): void {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      rmdirSync(dir);
      return;
    } catch {
      // Busy until the last process has been reaped; best effort.
    }
  }
}

function tryCreate(base: string, name: string, version: 1 | 2, limitBytes: number): MemoryCgroup | null {
  const limitFile = version === 1 ? 'memory.limit_in_bytes' : 'memory.max';
  if (!existsSync(join(base, limitFile)) && !existsSync(join(base, 'cgroup.procs'))) return null;
  const dir = join(base, name);
  try {
    mkdirSync(dir);
  } catch {
    return null;
  }
  try {
    if (!existsSync(join(dir, limitFile))) throw new Error('no memory controller');
    writeFileSync(join(dir, limitFile), String(limitBytes));
    if (version === 1) {
      try {
        writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(limitBytes));
      } catch {
        // Swap accounting is often disabled; the memory limit alone still applies.
      }
    } else {
      try {
        writeFileSync(join(dir, 'memory.swap.max'), '0');
      } catch {
        // Not every kernel exposes swap control.
      }
    }
  } catch {
    removeDir(dir);
    return null;
  }
  const eventsFile = version === 1 ? join(dir, 'memory.oom_control') : join(dir, 'memory.events');
  return {
    version,
    dir,
    procsFile: join(dir, 'cgroup.procs'),
    oomKills: () => readCounter(eventsFile, 'oom_kill'),
    remove: () => removeDir(dir),
  };
}

/**
 * Creates a memory cgroup below the runner's own (v1 `memory.limit_in_bytes`, else v2 `memory.max`),
 * or returns null when no writable memory controller exists.
 */
export function createMemoryCgroup(
  name: string,
  limitBytes: number,
  root = '/sys/fs/cgroup',
): MemoryCgroup | null {
  const v1Root = join(root, 'memory');
  if (existsSync(join(v1Root, 'memory.limit_in_bytes'))) {
    const own = ownCgroupPath(1);
    for (const base of own ? [join(v1Root, own), v1Root] : [v1Root]) {
      const cgroup = tryCreate(base, name, 1, limitBytes);
      if (cgroup) return cgroup;
    }
  }
  const v2Root = existsSync(join(root, 'cgroup.controllers')) ? root : join(root, 'unified');
  if (existsSync(join(v2Root, 'cgroup.controllers'))) {
    const own = ownCgroupPath(2);
    if (own) {
      const cgroup = tryCreate(join(v2Root, own), name, 2, limitBytes);
      if (cgroup) return cgroup;
    }
  }
  return null;
}

/**
 * The oom_kill counter of the cgroup this process runs in (a Kubernetes pod's, where the runner cannot create
 * child cgroups: non-root, read-only cgroupfs), or null when unreadable. A rise while a node runs is evidence
 * the kernel OOM killer acted on the node's processes under the container's limit.
 */
export function ownOomKillCounter(root = '/sys/fs/cgroup'): (() => number) | null {
  const candidates: string[] = [];
  const v1 = ownCgroupPath(1);
  if (v1 !== null) candidates.push(join(root, 'memory', v1, 'memory.oom_control'));
  const v2 = ownCgroupPath(2);
  if (v2 !== null) {
    candidates.push(join(root, v2, 'memory.events'), join(root, 'unified', v2, 'memory.events'));
  }
  for (const file of candidates) {
    try {
      if (readFileSync(file, 'utf8').includes('oom_kill')) return () => readCounter(file, 'oom_kill');
    } catch {
      // not this hierarchy
    }
  }
  return null;
}
