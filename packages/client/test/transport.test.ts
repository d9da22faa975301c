import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLAIM_TOKEN_HEADER } from '@sparkwing/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { CacheClient, ControllerClient } from '../src/index.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A real HTTP server on 127.0.0.1:0 counting the TCP connections it accepted. */
async function serve(handler: Handler): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => handler(req, body, res));
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
  };
}

const json = (res: ServerResponse, status: number, value: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
};

describe('the one HTTP transport (keep-alive pool)', () => {
  it('reuses one keep-alive connection, sends bearer and JSON, validates answers and decodes envelopes', async () => {
    const seen: { auth?: string; body: string }[] = [];
    const { url, connections } = await serve((req, body, res) => {
      seen.push({ auth: req.headers.authorization, body });
      if (req.url === '/api/v1/triggers') return json(res, 202, { run_id: 'run_1' });
      if (req.url === '/api/v1/nodes/claim') {
        res.writeHead(204);
        return res.end();
      }
      json(res, 403, { error: { code: 'forbidden', message: 'missing scope', request_id: 'r9' } });
    });
    const client = new ControllerClient({ baseUrl: url, token: 't0k' });
    let warm = 0;
    for (let i = 0; i < 10; i += 1) {
      await expect(client.trigger({ pipeline: `p${i}` })).resolves.toEqual({ run_id: 'run_1' });
      if (i === 2) warm = connections();
    }
    // Sequential calls share pooled sockets (a socket goes back to the pool a tick after its answer).
    expect(warm).toBeLessThanOrEqual(2);
    expect(connections()).toBe(warm);
    await expect(client.claim({ runner_id: 'r', wait_ms: 0 })).resolves.toBeNull();
    await expect(client.listRuns()).rejects.toMatchObject({
      status: 403,
      code: 'forbidden',
      message: 'missing scope',
      requestId: 'r9',
    });
    expect(seen[0]).toEqual({ auth: 'Bearer t0k', body: JSON.stringify({ pipeline: 'p0' }) });
    expect(connections()).toBe(warm);
  });

  it('a finish with next carries the runner token as the claim credential and returns next_claim', async () => {
    let claimHeader: string | undefined;
    let bearer: string | undefined;
    const { url } = await serve((req, body, res) => {
      claimHeader = req.headers[CLAIM_TOKEN_HEADER] as string | undefined;
      bearer = req.headers.authorization;
      expect(JSON.parse(body)).toMatchObject({ outcome: 'success', next: { runner_id: 'r1' } });
      json(res, 200, { ...nodeAnswer(), next_claim: null });
    });
    const client = new ControllerClient({ baseUrl: url, token: 'runner-token' });
    const done = await client.finishNode('run_1', 'a', 'swn.node', {
      outcome: 'success',
      next: { runner_id: 'r1' },
    });
    expect(done).toMatchObject({ id: 'a', next_claim: null });
    expect(claimHeader).toBe('runner-token');
    expect(bearer).toBe('Bearer swn.node');
  });

  it('retries an idempotent read whose pooled socket was closed, and reports an unreachable peer as 0', async () => {
    let calls = 0;
    const { url } = await serve((req, _body, res) => {
      calls += 1;
      if (calls === 1) return req.socket.destroy();
      json(res, 200, { status: 'ok', version: '1' });
    });
    const client = new ControllerClient({ baseUrl: url });
    await expect(client.health()).resolves.toMatchObject({ status: 'ok' });
    expect(calls).toBe(2);
    const down = new ControllerClient({ baseUrl: 'http://127.0.0.1:1' });
    await expect(down.health()).rejects.toMatchObject({ status: 0, code: 'unreachable' });
  });

  it('the cache client sits on the same transport: accepted statuses, 404 blobs, binary uploads', async () => {
    const uploads: { type?: string; body: string }[] = [];
    const { url } = await serve((req, body, res) => {
      if (req.url === '/health')
        return json(res, 503, { status: 'degraded', version: '1', reasons: ['disk'] });
      if (req.url === '/bin/missing') {
        res.writeHead(404);
        return res.end();
      }
      if (req.method === 'PUT') {
        uploads.push({ type: req.headers['content-type'], body });
        res.writeHead(204);
        return res.end();
      }
      json(res, 500, { error: { code: 'internal', message: 'boom', request_id: 'x' } });
    });
    const cache = new CacheClient({ baseUrl: url, token: 't' });
    await expect(cache.health()).resolves.toMatchObject({ status: 'degraded', reasons: ['disk'] });
    await expect(cache.getBin('missing')).resolves.toBeNull();
    await cache.putBin('k', Buffer.from('bytes'));
    expect(uploads).toEqual([{ type: 'application/octet-stream', body: 'bytes' }]);
    await expect(cache.listArtifacts('run_1')).rejects.toMatchObject({ status: 500, code: 'internal' });
  });
});

function nodeAnswer() {
  return {
    id: 'a',
    run_id: 'run_1',
    status: 'success',
    needs: [],
    requires: [],
    timeout_s: null,
    retries: 0,
    attempt: 1,
    env: {},
    resources: {},
    steps: [],
    runner_id: 'r1',
    status_detail: null,
    ready_at: null,
    claimed_at: null,
    started_at: null,
    finished_at: null,
    error: null,
    output: null,
    result: { success: true, failure_reason: null, exit_code: 0, logs: '' },
    attempts: [],
    death_log: null,
  };
}
