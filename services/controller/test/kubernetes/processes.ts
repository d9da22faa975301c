import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './harness.js';

export interface Proc {
  url: string;
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** A free port on 127.0.0.1 (listen on 0, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Spawns `node <entry>` and resolves once a JSON log line names its port. */
export function startService(entry: string, env: Record<string, string>): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(REPO_ROOT, entry)], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let started = false;
    const timer = setTimeout(() => reject(new Error(`${entry} did not start:\n${out}`)), 20_000);
    proc.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (started) return;
      const match = /"msg":"listening"[^\n]*"port":(\d+)/.exec(out);
      if (!match) return;
      started = true;
      clearTimeout(timer);
      resolve({
        url: `http://127.0.0.1:${match[1]}`,
        proc,
        output: () => out,
        stop: () =>
          new Promise<void>((done) => {
            if (proc.exitCode !== null) return done();
            proc.once('exit', () => done());
            proc.kill('SIGTERM');
          }),
      });
    });
    proc.on('exit', (code) => {
      if (!started) reject(new Error(`${entry} exited with ${code}:\n${out}`));
    });
  });
}
