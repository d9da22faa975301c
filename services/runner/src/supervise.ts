import type { NodeProcess, NodeProcessExit } from './node-process.js';
import { type TreeSample, TreeSampler } from './proc-tree.js';

export interface SuperviseOptions {
  timeoutS: number | null;
  onTimeout(): void;
  /** Called with every resource sample of the node's process tree. */
  onSample(point: TreeSample): void;
  sampleIntervalMs: number;
  /** Polled; true kills the node at once (lost lease, rejected logs). */
  mustKill(): boolean;
}

export interface SupervisedExit extends NodeProcessExit {
  timedOut: boolean;
  /**
   * For a node that ended before its first interval sample: one sample for its whole life (CPU time over
   * wall time, peak RSS), so its resources are never empty. Null when interval samples were delivered.
   */
  exitSample: TreeSample | null;
}

/** Waits for a node process while enforcing its timeout, sampling its tree and watching for kill reasons. */
export async function supervise(proc: NodeProcess, options: SuperviseOptions): Promise<SupervisedExit> {
  const timers: NodeJS.Timeout[] = [];
  let timedOut = false;
  if (options.timeoutS) {
    timers.push(
      setTimeout(() => {
        timedOut = true;
        options.onTimeout();
        proc.terminate('timeout');
      }, options.timeoutS * 1000),
    );
  }
  const sampler = proc.pid === undefined ? null : new TreeSampler(proc.pid);
  sampler?.sample();
  let delivered = 0;
  timers.push(
    setInterval(() => {
      const point = sampler?.sample();
      if (!point) return;
      delivered += 1;
      options.onSample(point);
    }, options.sampleIntervalMs),
  );
  const watch = () => {
    if (options.mustKill()) proc.kill();
  };
  watch();
  timers.push(setInterval(watch, 250));
  try {
    const exit = await proc.exited;
    const exitSample = delivered === 0 && sampler ? sampler.summary(exit.usage) : null;
    return { ...exit, timedOut, exitSample };
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
}
