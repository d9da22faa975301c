import type { Job } from './pipeline.js';
import { type ShellOptions, type ShellResult, type Stream, runCommand } from './shell.js';

export interface LogRecord {
  stream: Stream | 'system';
  step?: string;
  msg: string;
}

/** What the process executing a job provides to it (the runner's child, or a test). */
export interface JobRuntime {
  runId: string;
  jobId: string;
  args: Record<string, string>;
  /** Outputs of the jobs this one needs, by job id. */
  outputs: Record<string, unknown>;
  env: Record<string, string | undefined>;
  cwd: string;
  signal: AbortSignal;
  write(record: LogRecord): void;
  getSecret(name: string): Promise<string>;
  mask(text: string): string;
  addSecret(value: string): void;
}

/** The API a job body and its steps use. */
export interface JobContext {
  readonly runId: string;
  readonly jobId: string;
  /** The step being run, when inside a step. */
  readonly stepId: string | undefined;
  readonly args: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Fires when the run is cancelled or the job times out. */
  readonly signal: AbortSignal;
  /** Runs a shell command; output is streamed and masked; a non-zero exit throws `ShellError`. */
  sh(command: string, options?: ShellOptions): Promise<ShellResult>;
  /** Runs a program without a shell. */
  exec(file: string, args?: string[], options?: ShellOptions): Promise<ShellResult>;
  log(...parts: unknown[]): void;
  /** Reads a secret; its value is masked in all output from now on. */
  secret(name: string): Promise<string>;
  /** The output of a job this one needs. */
  output<T>(job: Job<T> | string): T;
  readonly outputs: Readonly<Record<string, unknown>>;
}

function format(part: unknown): string {
  if (typeof part === 'string') return part;
  if (part instanceof Error) return part.stack ?? part.message;
  try {
    return JSON.stringify(part);
  } catch {
    return String(part);
  }
}

export function createContext(runtime: JobRuntime, stepId?: string): JobContext {
  const deps = {
    cwd: runtime.cwd,
    env: runtime.env,
    signal: runtime.signal,
    mask: (text: string) => runtime.mask(text),
    line: (stream: Stream, msg: string) => runtime.write({ stream, step: stepId, msg }),
  };
  return {
    runId: runtime.runId,
    jobId: runtime.jobId,
    stepId,
    args: runtime.args,
    env: runtime.env,
    cwd: runtime.cwd,
    signal: runtime.signal,
    sh: (command, options = {}) => runCommand('/bin/sh', ['-c', command], command, options, deps),
    exec: (file, args = [], options = {}) => runCommand(file, args, [file, ...args].join(' '), options, deps),
    log: (...parts) =>
      runtime.write({ stream: 'stdout', step: stepId, msg: runtime.mask(parts.map(format).join(' ')) }),
    secret: async (name) => {
      const value = await runtime.getSecret(name);
      runtime.addSecret(value);
      return value;
    },
    output: <T>(job: Job<T> | string) => {
      const id = typeof job === 'string' ? job : job.id;
      if (!(id in runtime.outputs))
        throw new Error(`job "${runtime.jobId}" has no output of "${id}": add it to needs()`);
      return runtime.outputs[id] as T;
    },
    outputs: runtime.outputs,
  };
}
