import { readdirSync, readFileSync } from 'node:fs';

/** Linux USER_HZ and page size; both are fixed on every platform Node supports here. */
const CLOCK_TICKS = 100;
const PAGE_SIZE = 4096;

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime+stime+cutime+cstime in ticks: own CPU plus that of reaped children. */
  ticks: number;
  rssBytes: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ")".
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const num = (index: number) => Number(fields[index - 3]);
    return { pid, ppid: num(4), ticks: num(14) + num(15) + num(16) + num(17), rssBytes: num(24) * PAGE_SIZE };
  } catch {
    return null;
  }
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) out.push(stat);
  }
  return out;
}

/** The pids of `root` and all its descendants (by parent pid). */
export function processTree(root: number): number[] {
  return treeStats(root).map((stat) => stat.pid);
}

function treeStats(root: number): ProcStat[] {
  const stats = allStats();
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) {
    const list = children.get(stat.ppid) ?? [];
    list.push(stat);
    children.set(stat.ppid, list);
  }
  const rootStat = stats.find((stat) => stat.pid === root);
  if (!rootStat) return [];
  const out: ProcStat[] = [];
  const queue = [rootStat];
  while (queue.length > 0) {
    const stat = queue.shift()!;
    out.push(stat);
    queue.push(...(children.get(stat.pid) ?? []));
  }
  return out;
}

/** A process's own resource usage over its life (`process.resourceUsage()`). */
export interface ProcessUsage {
  cpu_us: number;
  max_rss_bytes: number;
}

export interface TreeSample {
  ts: string;
  cpu_millicores: number;
  memory_bytes: number;
}

/**
 * Samples a process tree: CPU in millicores over the interval since the previous sample (from
 * utime+stime of every process in the tree, plus the children they reaped) and RSS summed over the tree.
 * It also keeps what one sample for the whole life needs (`summary`), for nodes too short to be sampled.
 */
export class TreeSampler {
  private lastTicks: number | null = null;
  private lastAt = 0;
  private peakBytes = 0;

  constructor(
    private readonly root: number,
    private readonly startedAt: number = Date.now(),
  ) {}

  /**
   * One sample for the whole life: CPU time over wall time since the start and the peak RSS, from the
   * readings taken and the root process's own account of itself (`rusage`, sent just before it exits).
   */
  summary(usage: ProcessUsage | null, now: number = Date.now()): TreeSample {
    const treeCpuUs = ((this.lastTicks ?? 0) / CLOCK_TICKS) * 1e6;
    const cpuUs = Math.max(treeCpuUs, usage?.cpu_us ?? 0);
    const wallUs = Math.max(1, now - this.startedAt) * 1000;
    return {
      ts: new Date(now).toISOString(),
      cpu_millicores: Math.round((cpuUs / wallUs) * 1000),
      memory_bytes: Math.max(this.peakBytes, usage?.max_rss_bytes ?? 0),
    };
  }

  sample(now: number = Date.now()): TreeSample | null {
    const stats = treeStats(this.root);
    if (stats.length === 0) return null;
    const ticks = stats.reduce((sum, stat) => sum + stat.ticks, 0);
    const memory = stats.reduce((sum, stat) => sum + stat.rssBytes, 0);
    this.peakBytes = Math.max(this.peakBytes, memory);
    let millicores = 0;
    if (this.lastTicks !== null && now > this.lastAt) {
      const cpuSeconds = Math.max(0, ticks - this.lastTicks) / CLOCK_TICKS;
      millicores = Math.round((cpuSeconds / ((now - this.lastAt) / 1000)) * 1000);
    }
    this.lastTicks = ticks;
    this.lastAt = now;
    return { ts: new Date(now).toISOString(), cpu_millicores: millicores, memory_bytes: memory };
  }
}

/** Sends `signal` to the process group of `root` and to every process still in its tree. */
export function killTree(root: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  const pids = processTree(root);
  try {
    process.kill(-root, signal);
  } catch {
    // The group may already be gone.
  }
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already exited.
    }
  }
}
