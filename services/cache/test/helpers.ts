import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { signNodeToken } from '@sparkwing/contracts';

export const SIGNING_KEY = 'test-signing-key-0123456789';
export const ADMIN_TOKEN = 'admin-secret-token';
const MAIN = resolve(import.meta.dirname, '../dist/main.js');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sw-cache-${prefix}-`));
}

export function nodeToken(runId = 'run_a', nodeId = 'build'): string {
  return signNodeToken(SIGNING_KEY, {
    run_id: runId,
    node_id: nodeId,
    attempt: 1,
    exp: Date.now() + 3_600_000,
  });
}

const gitEnv = (cwd: string) => ({
  PATH: process.env.PATH,
  HOME: cwd,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
  GIT_TERMINAL_PROMPT: '0',
});

/**
 * git without blocking the event loop: for commands that talk to the cache, which asks the test's fake
 * controller (in this process) about the token while git runs.
 */
export function gitAsync(cwd: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, encoding: 'utf8', env: gitEnv(cwd) }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv(cwd) }).trim();
}

/** A work repo with one commit and its bare copy (the "origin" the cache mirrors). */
export function makeOrigin(root: string): { work: string; bare: string } {
  const work = join(root, 'work');
  const bare = join(root, 'origin.git');
  execFileSync('mkdir', ['-p', work]);
  git(work, 'init', '-q', '-b', 'main');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  return { work, bare };
}

export interface FakeController {
  url: string;
  /** Upload refs the fake reports as referenced by running runs. */
  runningUploads: string[];
  close(): Promise<void>;
}

export interface FakeToken {
  kind: 'user' | 'runner' | 'service';
  scopes: string[];
}

/**
 * Answers introspection (ADMIN_TOKEN → admin user, plus `tokens`) and `GET /api/v1/runs?status=` like the
 * controller.
 */
export async function startFakeController(tokens: Record<string, FakeToken> = {}): Promise<FakeController> {
  const state = { runningUploads: [] as string[] };
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    const auth = req.headers.authorization;
    const url = new URL(req.url ?? '/', 'http://x');
    const known = tokens[(auth ?? '').replace(/^Bearer /, '')];
    if (url.pathname === '/api/v1/auth/introspect' && known) {
      res.end(
        JSON.stringify({
          active: true,
          principal: { kind: known.kind, name: 'tester', token_prefix: 'sw_t', run_id: null, node_id: null },
          scopes: known.scopes,
          expires_at: null,
        }),
      );
      return;
    }
    if (url.pathname === '/api/v1/auth/introspect' && auth === `Bearer ${ADMIN_TOKEN}`) {
      res.end(
        JSON.stringify({
          active: true,
          principal: { kind: 'user', name: 'admin', token_prefix: 'sw_admin', run_id: null, node_id: null },
          scopes: ['admin'],
          expires_at: null,
        }),
      );
      return;
    }
    if (url.pathname === '/api/v1/runs' && auth === `Bearer ${ADMIN_TOKEN}`) {
      const status = url.searchParams.get('status');
      const runs =
        status === 'running'
          ? state.runningUploads.map((ref, i) => ({
              ...RUN,
              id: `run_${i}`,
              status: 'running',
              upload_ref: ref,
            }))
          : [];
      res.end(JSON.stringify({ runs, next_cursor: null }));
      return;
    }
    res.statusCode = 401;
    res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'bad token', request_id: 'fake' } }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get runningUploads() {
      return state.runningUploads;
    },
    set runningUploads(value: string[]) {
      state.runningUploads = value;
    },
    close: () => new Promise((done) => server.close(() => done())),
  };
}

const RUN = {
  pipeline: 'p',
  args: {},
  git: null,
  local_path: null,
  trigger: { kind: 'api', event: null, actor: null },
  retry_of: null,
  bundle_digest: null,
  cancel_requested: false,
  failure_reason: null,
  error: null,
  created_at: new Date().toISOString(),
  started_at: null,
  finished_at: null,
  duration_ms: null,
};

export interface CacheProcess {
  url: string;
  port: number;
  dataDir: string;
  logs(): string;
  stop(): Promise<void>;
}

/** Spawns the built service with PORT=0 and waits for its `listening` line. */
export async function startCache(env: Record<string, string> = {}): Promise<CacheProcess> {
  const dataDir = env.SPARKWING_DATA_DIR ?? tempDir('data');
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      HOME: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      SPARKWING_DATA_DIR: dataDir,
      SPARKWING_SIGNING_KEY: SIGNING_KEY,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((done, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"msg":"listening","port":(\d+)/.exec(output);
      if (match) done(Number(match[1]));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', (code) => fail(new Error(`cache exited ${code}: ${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    logs: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((done) => child.on('exit', done));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function authHeaders(token = ADMIN_TOKEN): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
