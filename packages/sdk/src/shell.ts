import { spawn } from 'node:child_process';
import { ShellError } from './errors.js';

export type Stream = 'stdout' | 'stderr';

export interface ShellOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Do not throw on a non-zero exit; the result carries the code. */
  allowFailure?: boolean;
  /** Feed this text to the command's stdin. */
  input?: string;
  /** Capture the output without streaming it to the job's log (probes, polling). */
  quiet?: boolean;
}

export interface ShellResult {
  exitCode: number;
  /** Captured stdout (first 1 MiB), already masked. */
  stdout: string;
  stderr: string;
}

const CAPTURE_LIMIT = 1024 * 1024;

/** Process groups of every command started; whatever still runs in them when the job ends is killed. */
const spawnedGroups = new Set<number>();

/** Kills what is left of every command's process group (e.g. `server &` started by a shell). */
export function killSpawnedGroups(): void {
  for (const pgid of spawnedGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // The group is already empty.
    }
  }
  spawnedGroups.clear();
}

export interface SpawnDeps {
  cwd: string;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  mask: (text: string) => string;
  line: (stream: Stream, text: string) => void;
}

/** Spawns a command, streams each output line (masked) and resolves with its captured output. */
export function runCommand(
  file: string,
  args: string[],
  display: string,
  options: ShellOptions,
  deps: SpawnDeps,
): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    if (deps.signal.aborted) {
      reject(new ShellError(display, 130, 'abort'));
      return;
    }
    const child = spawn(file, args, {
      cwd: options.cwd ?? deps.cwd,
      env: { ...deps.env, ...options.env },
      // Own process group, so an abort reaches the command's children too (a shell's `sleep` keeps the pipes open).
      detached: true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) spawnedGroups.add(child.pid);
    const captured: Record<Stream, string> = { stdout: '', stderr: '' };
    const pending: Record<Stream, string> = { stdout: '', stderr: '' };
    const onData = (stream: Stream) => (chunk: Buffer) => {
      const text = pending[stream] + chunk.toString('utf8');
      const lines = text.split('\n');
      pending[stream] = lines.pop() ?? '';
      for (const raw of lines) emit(stream, raw.replace(/\r$/, ''));
    };
    const emit = (stream: Stream, raw: string) => {
      const masked = deps.mask(raw);
      if (captured[stream].length < CAPTURE_LIMIT) captured[stream] += `${masked}\n`;
      if (!options.quiet) deps.line(stream, masked);
    };
    child.stdout?.on('data', onData('stdout'));
    child.stderr?.on('data', onData('stderr'));
    if (options.input !== undefined) child.stdin?.end(options.input);
    const onAbort = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
    };
    deps.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      deps.signal.removeEventListener('abort', onAbort);
      reject(new ShellError(display, 127, null));
      deps.line('stderr', deps.mask(`${display}: ${error.message}`));
    });
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      deps.signal.removeEventListener('abort', onAbort);
      // A backgrounded process (`server &`) may hold the pipes open: stop reading them.
      child.stdout?.destroy();
      child.stderr?.destroy();
      for (const stream of ['stdout', 'stderr'] as const) if (pending[stream]) emit(stream, pending[stream]);
      const exitCode = code ?? (signal ? 128 + signalNumber(signal) : 1);
      const result = { exitCode, stdout: captured.stdout, stderr: captured.stderr };
      if (exitCode !== 0 && !options.allowFailure) reject(new ShellError(display, exitCode, signal));
      else resolve(result);
    };
    child.on('close', finish);
    // Output still buffered when the command exits arrives within a moment; don't wait on pipes longer.
    child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 100));
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return numbers[signal] ?? 1;
}
