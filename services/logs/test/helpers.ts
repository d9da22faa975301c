import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { type IntrospectResponse, type Scope, signNodeToken } from '@sparkwing/contracts';
import { Hono } from 'hono';

export const SIGNING_KEY = 'test-signing-key-0123456789';
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');
/** The real controller, for introspection of API tokens. */
export const CONTROLLER_MAIN = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'controller',
  'dist',
  'main.js',
);

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sparkwing-logs-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function nodeToken(runId: string, nodeId: string, ttlMs = 600_000): string {
  return signNodeToken(SIGNING_KEY, { run_id: runId, node_id: nodeId, attempt: 1, exp: Date.now() + ttlMs });
}

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** SIGTERM and wait for exit; resolves the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Spawns a built service (default: this one's `dist/main.js`) on an ephemeral port and waits for its
 * `listening` line.
 */
export async function startService(env: Record<string, string>, main = MAIN): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      SPARKWING_SIGNING_KEY: SIGNING_KEY,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    out += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /"msg":"listening","port":(\d+)/.exec(out);
      if (match) {
        clearInterval(timer);
        resolve(Number(match[1]));
      }
    }, 20);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`${main} exited (${code}) before listening: ${out}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A peer double for the controller: only `POST /api/v1/auth/introspect`, answering from a token table. */
export async function startIntrospectionPeer(
  tokens: Record<string, Scope[]>,
): Promise<{ url: string; calls: () => number; close: () => Promise<void> }> {
  let calls = 0;
  const app = new Hono().post('/api/v1/auth/introspect', (c) => {
    calls += 1;
    const token = (c.req.header('authorization') ?? '').replace(/^Bearer /, '');
    const scopes = tokens[token];
    if (!scopes)
      return c.json({ error: { code: 'unauthorized', message: 'unknown token', request_id: 'x' } }, 401);
    const body: IntrospectResponse = {
      active: true,
      principal: {
        kind: 'user',
        name: `user-${token}`,
        token_prefix: token.slice(0, 6),
        run_id: null,
        node_id: null,
      },
      scopes,
      expires_at: null,
    };
    return c.json(body);
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export function ndjson(records: object[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

export async function append(
  url: string,
  runId: string,
  nodeId: string,
  token: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${url}/api/v1/logs/${runId}/${nodeId}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson', ...headers },
    body,
  });
}

export async function readNdjson(response: Response): Promise<Array<Record<string, unknown>>> {
  const text = await response.text();
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Reads SSE events from a fetch response until `stop` says so (or the stream ends). */
export async function collectSse(
  response: Response,
  stop: (events: Array<{ event: string; id: string | null; data: string }>) => boolean,
): Promise<Array<{ event: string; id: string | null; data: string }>> {
  const events: Array<{ event: string; id: string | null; data: string }> = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    while (!stop(events)) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = { event: 'message', id: null as string | null, data: '' };
        let sawField = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) {
            events.push({ event: 'comment', id: null, data: line.slice(1).trim() });
            continue;
          }
          const [field, ...rest] = line.split(':');
          const value = rest.join(':').replace(/^ /, '');
          if (field === 'id') event.id = value;
          if (field === 'event') event.event = value;
          if (field === 'data') event.data = value;
          if (field === 'id' || field === 'event' || field === 'data') sawField = true;
        }
        if (sawField) events.push(event);
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return events;
}
