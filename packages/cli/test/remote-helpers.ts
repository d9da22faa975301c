import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'packages/cli/bin/sparkwing.js');

export function temp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sparkwing-cli-${prefix}-`));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with only the given environment (no real HOME, config or store). */
export function sparkwing(args: string[], env: Record<string, string>, cwd = ROOT): Promise<CliResult> {
  return new Promise((done) => {
    const proc = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    proc.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Starts a built service on an ephemeral port and resolves with its URL and a stop function. */
export function startService(
  name: string,
  env: Record<string, string>,
): Promise<{ url: string; stop(): void }> {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, [join(ROOT, 'services', name, 'dist', 'main.js')], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => fail(new Error(`${name} did not start:\n${out}`)), 20_000);
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"msg":"listening"[^\n]*"port":(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        done({ url: `http://127.0.0.1:${match[1]}`, stop: () => proc.kill('SIGKILL') });
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited ${code}:\n${out}`));
    });
  });
}
