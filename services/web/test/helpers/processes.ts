import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../../../..');

export interface ServiceProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

/** Spawns `node <entry>` with PORT=0 and resolves once it logs `{"msg":"listening","port":N}`. */
export async function startService(entry: string, env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [join(ROOT, entry)], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const port = await new Promise<number>((resolvePort, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`${entry} did not start:\n${output.join('')}`)), 20_000);
    lines.on('line', (line) => {
      output.push(line);
      try {
        const parsed = JSON.parse(line) as { msg?: string; port?: number };
        if (parsed.msg === 'listening' && typeof parsed.port === 'number') {
          clearTimeout(timer);
          resolvePort(parsed.port);
        }
      } catch {
        // not a JSON line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code}:\n${output.join('\n')}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

export interface Stack {
  controller: ServiceProcess;
  logs: ServiceProcess;
  web: ServiceProcess;
  adminToken: string;
  signingKey: string;
  dir: string;
  stop(): Promise<void>;
}

/** Real controller, logs and web processes over a fresh temp directory. */
export async function startStack(webEnv: Record<string, string> = {}): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'sparkwing-web-'));
  const adminToken = `swa_${randomBytes(24).toString('hex')}`;
  const signingKey = randomBytes(32).toString('hex');
  const controller = await startService('services/controller/dist/main.js', {
    SPARKWING_DATA_DIR: join(dir, 'controller'),
    SPARKWING_ADMIN_TOKEN: adminToken,
    SPARKWING_SIGNING_KEY: signingKey,
    SPARKWING_SECRET_KEY: randomBytes(32).toString('hex'),
  });
  const logs = await startService('services/logs/dist/main.js', {
    SPARKWING_DATA_DIR: join(dir, 'logs'),
    SPARKWING_CONTROLLER_URL: controller.url,
    SPARKWING_SIGNING_KEY: signingKey,
  });
  const web = await startService('services/web/dist/main.js', {
    SPARKWING_CONTROLLER_URL: controller.url,
    SPARKWING_LOGS_URL: logs.url,
    SPARKWING_SESSION_SECRET: randomBytes(32).toString('hex'),
    ...webEnv,
  });
  return {
    controller,
    logs,
    web,
    adminToken,
    signingKey,
    dir,
    stop: async () => {
      await Promise.all([web.stop(), logs.stop(), controller.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
