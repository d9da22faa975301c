import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheClient, ControllerClient, LogsClient } from '@sparkwing/client';
import { freePort, type Proc, repoPath, startProc } from './procs.js';

export interface StackOptions {
  /** Extra controller env (short sweeps/timeouts for the scenario). */
  controllerEnv?: Record<string, string>;
  /** Signing key the logs service verifies node tokens with (default: the shared one). */
  logsSigningKey?: string;
  /** Runners to start: id → labels. */
  runners?: Record<string, string[]>;
  webhookSecret?: string;
}

export interface Runner {
  id: string;
  proc: Proc;
  metricsUrl: string;
}

export interface Stack {
  dir: string;
  adminToken: string;
  /** Seeded into the controller as SPARKWING_RUNNER_TOKEN: scope nodes.claim only, as in a deployment. */
  runnerToken: string;
  signingKey: string;
  webhookSecret: string;
  urls: { controller: string; logs: string; cache: string; web: string };
  controller: ControllerClient;
  logs: LogsClient;
  cache: CacheClient;
  procs: Record<string, Proc>;
  runners: Map<string, Runner>;
  startRunner(id: string, labels: string[]): Promise<Runner>;
  stop(): Promise<void>;
}

const listening = (port: number) => (record: Record<string, unknown>) =>
  record.msg === 'listening' && Number(record.port) === port;

/** Controller, logs, cache, web and runners as separate OS processes on 127.0.0.1, fresh data dirs. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'sparkwing-e2e-'));
  const adminToken = `swa_${randomBytes(24).toString('hex')}`;
  const runnerToken = `swr_${randomBytes(24).toString('hex')}`;
  const signingKey = randomBytes(32).toString('hex');
  const webhookSecret = options.webhookSecret ?? randomBytes(16).toString('hex');
  const [controllerPort, logsPort, cachePort, webPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const urls = {
    controller: `http://127.0.0.1:${controllerPort}`,
    logs: `http://127.0.0.1:${logsPort}`,
    cache: `http://127.0.0.1:${cachePort}`,
    web: `http://127.0.0.1:${webPort}`,
  };
  const base = { HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  const procs: Record<string, Proc> = {};
  const runners = new Map<string, Runner>();
  const stop = async () => {
    await Promise.all([...runners.values()].map((runner) => runner.proc.stop(5_000)));
    await Promise.all(Object.values(procs).map((proc) => proc.stop(5_000)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    procs.controller = await startProc(
      'controller',
      [repoPath('services/controller/dist/main.js')],
      {
        ...base,
        PORT: String(controllerPort),
        SPARKWING_DATA_DIR: join(dir, 'controller'),
        SPARKWING_ADMIN_TOKEN: adminToken,
        SPARKWING_RUNNER_TOKEN: runnerToken,
        SPARKWING_SIGNING_KEY: signingKey,
        SPARKWING_SECRET_KEY: randomBytes(16).toString('hex'),
        GITHUB_WEBHOOK_SECRET: webhookSecret,
        SPARKWING_CACHE_URL: urls.cache,
        SPARKWING_LOGS_URL: urls.logs,
        SPARKWING_SWEEP_INTERVAL: '500ms',
        ...options.controllerEnv,
      },
      listening(controllerPort),
    );
    const [logs, cache, web] = await Promise.all([
      startProc(
        'logs',
        [repoPath('services/logs/dist/main.js')],
        {
          ...base,
          PORT: String(logsPort),
          SPARKWING_DATA_DIR: join(dir, 'logs'),
          SPARKWING_CONTROLLER_URL: urls.controller,
          SPARKWING_SIGNING_KEY: options.logsSigningKey ?? signingKey,
        },
        listening(logsPort),
      ),
      startProc(
        'cache',
        [repoPath('services/cache/dist/main.js')],
        {
          ...base,
          PORT: String(cachePort),
          SPARKWING_DATA_DIR: join(dir, 'cache'),
          SPARKWING_CONTROLLER_URL: urls.controller,
          // Tests mirror local bare repositories under the stack's directory: allow-listed explicitly.
          SPARKWING_MIRROR_ALLOWLIST: dir,
          SPARKWING_SIGNING_KEY: signingKey,
          ...Object.fromEntries(
            ['NPM', 'PYPI', 'GOLANG', 'RUBYGEMS', 'ALPINE'].map((name) => [
              `SPARKWING_PROXY_UPSTREAM_${name}`,
              'http://127.0.0.1:9',
            ]),
          ),
        },
        listening(cachePort),
      ),
      startProc(
        'web',
        [repoPath('services/web/dist/main.js')],
        {
          ...base,
          PORT: String(webPort),
          SPARKWING_CONTROLLER_URL: urls.controller,
          SPARKWING_LOGS_URL: urls.logs,
          SPARKWING_SESSION_SECRET: randomBytes(32).toString('hex'),
        },
        listening(webPort),
      ),
    ]);
    procs.logs = logs;
    procs.cache = cache;
    procs.web = web;
  } catch (error) {
    await stop();
    throw error;
  }

  const startRunner = async (id: string, labels: string[]): Promise<Runner> => {
    const metricsPort = await freePort();
    const proc = await startProc(
      `runner ${id}`,
      [
        repoPath('services/runner/bin/sparkwing-runner.js'),
        'runner',
        `--runner-id=${id}`,
        `--metrics-port=${metricsPort}`,
        '--max-concurrent=2',
        ...labels.map((label) => `--label=${label}`),
      ],
      {
        LOG_LEVEL: 'info',
        SPARKWING_CONTROLLER_URL: urls.controller,
        SPARKWING_LOGS_URL: urls.logs,
        SPARKWING_CACHE_URL: urls.cache,
        SPARKWING_RUNNER_TOKEN: runnerToken,
        SPARKWING_HOME: join(dir, `runner-${id}`),
      },
      (record) => record.msg === 'runner started',
    );
    const runner = { id, proc, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
    runners.set(id, runner);
    return runner;
  };
  try {
    for (const [id, labels] of Object.entries(
      options.runners ?? { 'runner-a': ['linux'], 'runner-b': ['linux'] },
    )) {
      await startRunner(id, labels);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dir,
    adminToken,
    runnerToken,
    signingKey,
    webhookSecret,
    urls,
    controller: new ControllerClient({ baseUrl: urls.controller, token: adminToken }),
    logs: new LogsClient({ baseUrl: urls.logs, token: adminToken }),
    cache: new CacheClient({ baseUrl: urls.cache, token: adminToken }),
    procs,
    runners,
    startRunner,
    stop,
  };
}
