import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { CacheClient, ControllerClient } from '@sparkwing/client';
import { tempDir } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../../..');

export interface Service {
  url: string;
  port: number;
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
}

/** Spawns a service's dist/main.js and resolves once its `listening` log line names the port. */
export function startProcess(
  entry: string,
  args: string[],
  env: Record<string, string>,
  portField = 'port',
): Promise<Service> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, [join(ROOT, entry), ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${entry} did not start:\n${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.includes(`"${portField}"`)) continue;
        try {
          const record = JSON.parse(line) as Record<string, unknown>;
          const port = record[portField];
          if (typeof port === 'number') {
            clearTimeout(timer);
            proc.stdout?.off('data', onData);
            proc.stdout?.on('data', (more: Buffer) => (out += more.toString()));
            resolvePromise({
              url: `http://127.0.0.1:${port}`,
              port,
              proc,
              output: () => out,
              stop: () => stopProcess(proc),
            });
            return;
          }
        } catch {
          // Not a JSON line.
        }
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('exit', (code) => reject(new Error(`${entry} exited with ${code}:\n${out}`)));
  });
}

export function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((done) => {
    proc.once('exit', (code) => done(code));
    proc.kill(signal);
  });
}

export interface Stack {
  controller: Service;
  logs: Service;
  cache: Service;
  admin: ControllerClient;
  adminToken: string;
  signingKey: string;
  runnerToken: string;
  upload(dir: string): Promise<string>;
  stop(): Promise<void>;
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name), base) : [relative(base, join(dir, entry.name))],
  );
}

/** A real controller, logs and cache, each its own process on 127.0.0.1 with temp data dirs. */
export async function startStack(): Promise<Stack> {
  const signingKey = randomBytes(24).toString('hex');
  const adminToken = `swt_admin_${randomBytes(16).toString('hex')}`;
  const controller = await startProcess('services/controller/dist/main.js', [], {
    PORT: '0',
    SPARKWING_DATA_DIR: tempDir('controller'),
    SPARKWING_ADMIN_TOKEN: adminToken,
    SPARKWING_SIGNING_KEY: signingKey,
    SPARKWING_LEASE_DURATION: '10s',
    SPARKWING_SWEEP_INTERVAL: '1s',
  });
  const shared = {
    SPARKWING_SIGNING_KEY: signingKey,
    SPARKWING_CONTROLLER_URL: controller.url,
    PORT: '0',
    HOST: '127.0.0.1',
  };
  const logs = await startProcess('services/logs/dist/main.js', [], {
    ...shared,
    SPARKWING_DATA_DIR: tempDir('logs'),
  });
  const cache = await startProcess('services/cache/dist/main.js', [], {
    ...shared,
    SPARKWING_DATA_DIR: tempDir('cache'),
  });
  const admin = new ControllerClient({ baseUrl: controller.url, token: adminToken });
  // Runners hold nodes.claim only: everything within a run goes with the node token.
  const runnerToken = (await admin.createToken({ name: 'runner', kind: 'runner', scopes: ['nodes.claim'] }))
    .token;
  const cacheClient = new CacheClient({ baseUrl: cache.url, token: adminToken });
  return {
    controller,
    logs,
    cache,
    admin,
    adminToken,
    signingKey,
    runnerToken,
    upload: async (dir) => (await cacheClient.uploadTree({ cwd: dir, files: listFiles(dir) })).upload_ref,
    stop: async () => {
      await Promise.all([controller.stop(), logs.stop(), cache.stop()]);
    },
  };
}

export function runnerEnv(stack: Stack, logsUrl = stack.logs.url): Record<string, string> {
  return {
    SPARKWING_CONTROLLER_URL: stack.controller.url,
    SPARKWING_LOGS_URL: logsUrl,
    SPARKWING_CACHE_URL: stack.cache.url,
    SPARKWING_RUNNER_TOKEN: stack.runnerToken,
    SPARKWING_HOME: tempDir('runner-home'),
  };
}

/** Starts `sparkwing-runner runner` and resolves once it serves metrics. */
export function startRunner(
  stack: Stack,
  args: string[],
  env: Record<string, string> = {},
): Promise<Service> {
  return startProcess(
    'services/runner/bin/sparkwing-runner.js',
    ['runner', '--metrics-port', '0', ...args],
    { ...runnerEnv(stack), ...env },
    'metrics_port',
  );
}

export async function waitForRun(admin: ControllerClient, runId: string, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const detail = await admin.getRun(runId);
    if (['success', 'failed', 'cancelled'].includes(detail.run.status)) return detail;
    if (Date.now() > deadline)
      throw new Error(
        `run ${runId} still ${detail.run.status}: ${JSON.stringify(detail.nodes.map((n) => [n.id, n.status]))}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
