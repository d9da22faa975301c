import { type ChildProcess, spawn } from 'node:child_process';
import type { ChildMessage, ChildTask, ParentMessage } from '@sparkwing/sdk';
import type { MemoryCgroup } from './cgroup.js';
import { killTree, type ProcessUsage } from './proc-tree.js';

export type LineStream = 'stdout' | 'stderr' | 'system';

export interface NodeProcessOptions {
  bundlePath: string;
  task: ChildTask;
  cwd: string;
  env: Record<string, string | undefined>;
  cgroup: MemoryCgroup | null;
  onLine(stream: LineStream, msg: string, step?: string): void;
  onSecret(name: string): Promise<string>;
}

export interface NodeProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last plan/result message the process sent, if any. */
  message: Extract<ChildMessage, { type: 'plan' | 'plan_error' | 'result' }> | null;
  /** The process's own CPU time and peak RSS, sent just before it exits (null when it died first). */
  usage: ProcessUsage | null;
}

/** How long a node process gets between SIGTERM (AbortSignal fires) and SIGKILL of its tree. */
const KILL_GRACE_MS = 2_000;

/** One node executing in its own process group (and cgroup when given), talking to the runner over IPC. */
export class NodeProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<NodeProcessExit>;
  private final: NodeProcessExit['message'] = null;
  private usage: ProcessUsage | null = null;
  private openPipes = 2;
  private onPipesEnded: () => void = () => {};
  private killTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: NodeProcessOptions) {
    const stdio: ['ignore', 'pipe', 'pipe', 'ipc'] = ['ignore', 'pipe', 'pipe', 'ipc'];
    const spawnOptions = { cwd: options.cwd, env: options.env, detached: true, stdio };
    this.child = options.cgroup
      ? spawn(
          '/bin/sh',
          [
            '-c',
            'echo $$ > "$0" && exec "$@"',
            options.cgroup.procsFile,
            process.execPath,
            options.bundlePath,
          ],
          spawnOptions,
        )
      : spawn(process.execPath, [options.bundlePath], spawnOptions);
    this.pipeLines('stdout');
    this.pipeLines('stderr');
    this.child.on('message', (message: ChildMessage) => this.onMessage(message));
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error) => {
        options.onLine('system', `could not start the node process: ${error.message}`);
        resolve({ code: 127, signal: null, message: null, usage: null });
      });
      this.child.on('exit', (code, signal) => {
        clearTimeout(this.killTimer);
        const done = () => resolve({ code, signal, message: this.final, usage: this.usage });
        // Let buffered output drain: at once when both pipes have ended, else for at most 50 ms (a
        // backgrounded grandchild may keep them open, so do not wait on them).
        if (this.openPipes === 0) return done();
        const timer = setTimeout(done, 50);
        this.onPipesEnded = () => {
          clearTimeout(timer);
          done();
        };
      });
    });
    this.send({ type: 'task', task: options.task });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Fires the job's AbortSignal, then kills the whole tree after a grace period. */
  terminate(reason: string): void {
    this.send({ type: 'abort', reason });
    const pid = this.child.pid;
    if (pid === undefined) return;
    killTree(pid, 'SIGTERM');
    this.killTimer ??= setTimeout(() => killTree(pid, 'SIGKILL'), KILL_GRACE_MS);
  }

  kill(): void {
    if (this.child.pid !== undefined) killTree(this.child.pid, 'SIGKILL');
  }

  private send(message: ParentMessage): void {
    if (this.child.connected) this.child.send(message, (error) => error && undefined);
  }

  private pipeLines(stream: 'stdout' | 'stderr'): void {
    let pending = '';
    this.child[stream]?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) this.options.onLine(stream, line.replace(/\r$/, ''));
    });
    this.child[stream]?.on('end', () => {
      if (pending) this.options.onLine(stream, pending);
      pending = '';
      this.openPipes -= 1;
      if (this.openPipes === 0) this.onPipesEnded();
    });
  }

  private onMessage(message: ChildMessage): void {
    switch (message.type) {
      case 'log':
        this.options.onLine(message.stream, message.msg, message.step);
        break;
      case 'secret_request':
        this.options.onSecret(message.name).then(
          (value) => this.send({ type: 'secret', id: message.id, value }),
          (error: Error) => this.send({ type: 'secret', id: message.id, error: error.message }),
        );
        break;
      case 'usage':
        this.usage = { cpu_us: message.cpu_us, max_rss_bytes: message.max_rss_bytes };
        break;
      default:
        this.final = message;
    }
  }
}
