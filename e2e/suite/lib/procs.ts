import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const repoPath = (...parts: string[]) => join(REPO_ROOT, ...parts);

export interface Proc {
  name: string;
  pid: number;
  output(): string;
  exited(): boolean;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exit: Promise<number | string>;
  /** SIGTERM to the process group, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

/** A port nothing listens on right now (services that must know each other's URLs before starting). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Spawns `node argv…` in its own process group and resolves when a JSON log line satisfies `ready`. */
export async function startProc(
  name: string,
  argv: string[],
  env: Record<string, string>,
  ready: (record: Record<string, unknown>) => boolean,
): Promise<Proc> {
  const child: ChildProcess = spawn(process.execPath, argv, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const exit = new Promise<number | string>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal ?? 'unknown')),
  );
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not become ready:\n${out}`)), 30_000);
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        try {
          if (ready(JSON.parse(line))) {
            clearTimeout(timer);
            done();
          }
        } catch {}
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    void exit.then((code) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited (${code}) before becoming ready:\n${out}`));
    });
  });
  const pid = child.pid!;
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {}
  };
  return {
    name,
    pid,
    exit,
    output: () => out,
    exited: gone,
    kill: signalGroup,
    async stop(graceMs = 10_000) {
      if (gone()) {
        signalGroup('SIGKILL');
        return;
      }
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
      // Children of the service (node processes of a runner) must not outlive the test.
      signalGroup('SIGKILL');
    },
  };
}
