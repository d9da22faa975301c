import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { repoPath } from './paths.js';

export interface ServiceProcess {
  name: string;
  url: string;
  port: number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node services/<name>/dist/main.js` on an ephemeral port (PORT=0) bound to 127.0.0.1 and waits
 * for its `{"msg":"listening","port":N}` log line.
 */
export function startService(name: string, env: Record<string, string>): Promise<ServiceProcess> {
  return startProcess(
    name,
    [repoPath('services', name, 'dist', 'main.js')],
    { PORT: '0', HOST: '127.0.0.1', ...env },
    (r) => (r.msg === 'listening' && typeof r.port === 'number' ? (r.port as number) : undefined),
  );
}

/** Starts `sparkwing-runner runner` (the warm pool) and waits for `runner started`; `port` is its metrics port. */
export function startRunner(args: string[], env: Record<string, string>): Promise<ServiceProcess> {
  return startProcess(
    'runner',
    [repoPath('services', 'runner', 'bin', 'sparkwing-runner.js'), 'runner', ...args],
    env,
    (r) =>
      r.msg === 'runner started' && typeof r.metrics_port === 'number'
        ? (r.metrics_port as number)
        : undefined,
  );
}

async function startProcess(
  name: string,
  argv: string[],
  env: Record<string, string>,
  ready: (record: Record<string, unknown>) => number | undefined,
): Promise<ServiceProcess> {
  const child: ChildProcess = spawn('node', argv, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not report ready:\n${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const found = ready(JSON.parse(line));
          if (found !== undefined) {
            clearTimeout(timer);
            resolve(found);
          }
        } catch {}
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${out}`));
    });
  });
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Samples in a Prometheus text exposition (every non-comment, non-empty line is one series). */
export function countSeries(text: string): number {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).length;
}

/** Family names announced by `# TYPE` lines. */
export function exposedFamilies(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!);
}
