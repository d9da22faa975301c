import { existsSync, readFileSync } from 'node:fs';
import { arch, availableParallelism, platform } from 'node:os';
import { join, resolve } from 'node:path';
import { LogShipper } from '@sparkwing/client';
import { isTerminalRunStatus, labelsSatisfy, type RunDetail } from '@sparkwing/contracts';
import { startPool } from '@sparkwing/runner';
import { ConfigError, findPipeline, parseSparkwingConfig } from '@sparkwing/sdk/config';
import { jsonReporter, type Reporter, terminalReporter } from './render.js';
import { connectLocal } from './connect.js';

export interface LocalRunOptions {
  pipeline: string;
  dir: string;
  args: Record<string, string>;
  home: string;
  json: boolean;
  labels: string[];
  concurrency?: number;
  write?: (text: string) => void;
  color?: boolean;
}

export class UsageError extends Error {}

/** How often a terminal shows which nodes are still running (and for how long). */
const PROGRESS_EVERY_MS = 10_000;

/** The labels a laptop runner advertises: every local job is meant to run here. */
export function localLabels(extra: string[]): string[] {
  return [...new Set(['local', platform(), arch(), ...extra])];
}

function checkPipeline(dir: string, pipeline: string): void {
  const file = join(dir, '.sparkwing', 'sparkwing.yaml');
  if (!existsSync(file))
    throw new UsageError(`no .sparkwing/sparkwing.yaml in ${dir} (use --dir to point at a repository)`);
  try {
    findPipeline(parseSparkwingConfig(readFileSync(file, 'utf8'), file), pipeline, file);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * `sparkwing run`: triggers the pipeline on the in-process controller over $SPARKWING_HOME and executes
 * its nodes with the runner code in this process, printing progress. Resolves with the exit code.
 */
export async function localRun(options: LocalRunOptions): Promise<number> {
  const dir = resolve(options.dir);
  checkPipeline(dir, options.pipeline);
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const reporter: Reporter = options.json
    ? jsonReporter(write)
    : terminalReporter(write, options.color ?? false);
  // Through the running dashboard when there is one (it owns the store), else the store opened here.
  const stack = await connectLocal(options.home, { sweep: true });
  let wakeUp = () => {};
  try {
    const { run_id: runId } = await stack.controller.trigger({
      pipeline: options.pipeline,
      args: options.args,
      local_path: dir,
    });
    reporter.started(runId, options.pipeline, options.home, stack.via);
    const labels = localLabels(options.labels);
    const pool = startPool({
      controller: stack.controller,
      runnerId: `local-${process.pid}`,
      labels,
      maxConcurrent: options.concurrency ?? Math.max(2, availableParallelism()),
      runId,
      claimWaitMs: 1_000,
      // A finished node is what changes the run: look at once instead of at the next poll.
      onExecuted: () => wakeUp(),
      executor: {
        home: options.home,
        shipper: ({ runId: run, nodeId, token }) =>
          new LogShipper({
            baseUrl: stack.logsUrl,
            runId: run,
            nodeId,
            token,
            fetch: stack.logsFetch,
          }),
      },
    });
    let interrupted = false;
    const onInterrupt = () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      void stack.controller.cancelRun(runId).catch(() => undefined);
    };
    process.on('SIGINT', onInterrupt);
    process.on('SIGTERM', onInterrupt);
    const seen = new Map<string, string>();
    let detail: RunDetail;
    let lastProgress = Date.now();
    for (;;) {
      detail = await stack.controller.getRun(runId);
      for (const node of detail.nodes) {
        const key = `${node.status}/${node.attempt}`;
        if (seen.get(node.id) !== key) {
          seen.set(node.id, key);
          if (node.status !== 'pending' && node.status !== 'ready') reporter.node(node);
          if (node.status === 'ready' && !labelsSatisfy(node.requires, labels))
            reporter.unclaimable(node, labels);
        }
      }
      if (isTerminalRunStatus(detail.run.status)) break;
      if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = Date.now();
        const running = detail.nodes.filter((node) => node.status === 'running');
        if (running.length > 0) reporter.progress(running);
      }
      await new Promise<void>((done) => {
        const timer = setTimeout(done, 150);
        wakeUp = () => {
          clearTimeout(timer);
          done();
        };
      });
    }
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    await pool.drain();
    reporter.finished(detail);
    return detail.run.status === 'success' ? 0 : 1;
  } finally {
    await stack.close();
  }
}
