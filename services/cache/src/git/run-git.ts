import { spawn } from 'node:child_process';

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Environment for every git child: no prompts, no user/system config surprises. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_ASKPASS: 'true',
    SSH_ASKPASS: 'true',
    LANG: 'C',
    ...extra,
  };
}

/** Runs git to completion, buffering output (for small answers: rev-parse, cat-file, show). */
export function runGit(
  args: readonly string[],
  options: { cwd?: string; input?: Buffer | string; timeoutMs?: number; maxStdout?: number } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd, env: gitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    const max = options.maxStdout ?? 256 * 1024 * 1024;
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : null;
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > max) child.kill('SIGKILL');
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 64 * 1024) err += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err.trim() });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** The last meaningful stderr line, without credentials that may sit in URLs. */
export function gitError(result: GitResult): string {
  const lines = result.stderr.split('\n').filter((line) => line.trim().length > 0);
  const line = lines.at(-1) ?? `git exited ${result.code}`;
  return line.replace(/\/\/[^/@\s]+@/g, '//***@').slice(0, 500);
}
