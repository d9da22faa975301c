import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');

export interface RunningController {
  url: string;
  port: number;
  proc: ChildProcess;
  logs: string[];
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

/** Starts `node dist/main.js` on an ephemeral port and resolves once it logs the port it listens on. */
export function startController(env: Record<string, string>): Promise<RunningController> {
  if (!existsSync(MAIN))
    throw new Error(`${MAIN} is missing: run pnpm --filter @sparkwing/controller build first`);
  const proc = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const waitExit = async (signal: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`controller did not start:\n${logs.join('\n')}`)),
      15_000,
    );
    const onEarlyExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`controller exited with ${code}:\n${logs.join('\n')}`));
    };
    proc.once('exit', onEarlyExit);
    createInterface({ input: proc.stderr! }).on('line', (line) => logs.push(line));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      logs.push(line);
      try {
        const record = JSON.parse(line) as { msg?: string; port?: number };
        if (record.msg === 'listening' && record.port) {
          clearTimeout(timer);
          proc.removeListener('exit', onEarlyExit);
          resolve({
            url: `http://127.0.0.1:${record.port}`,
            port: record.port,
            proc,
            logs,
            stop: () => waitExit('SIGTERM'),
            kill: () => waitExit('SIGKILL'),
          });
        }
      } catch {
        // Not a JSON line.
      }
    });
  });
}
