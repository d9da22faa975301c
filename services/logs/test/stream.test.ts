import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogsService } from '../src/index.js';
import {
  append,
  collectSse,
  ndjson,
  nodeToken,
  type ServiceProcess,
  SIGNING_KEY,
  startService,
  tempDir,
} from './helpers.js';

let service: ServiceProcess;
let cleanup: () => Promise<void>;
let dataDir: string;

beforeAll(async () => {
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  dataDir = tmp.dir;
  service = await startService({ SPARKWING_DATA_DIR: dataDir });
});

afterAll(async () => {
  await service?.stop();
  await cleanup?.();
});

const openStream = (runId: string, nodeId: string, headers: Record<string, string> = {}, query = '') =>
  fetch(`${service.url}/api/v1/logs/${runId}/${nodeId}/stream${query}`, {
    headers: { authorization: `Bearer ${nodeToken(runId, nodeId)}`, accept: 'text/event-stream', ...headers },
  });

const records = (events: Array<{ event: string; id: string | null; data: string }>) =>
  events
    .filter((e) => e.event === 'message')
    .map((e) => JSON.parse(e.data) as { seq: number; msg: string; final?: boolean });

describe('SSE stream', () => {
  it('replays, pushes live records, and ends after the final record', async () => {
    const token = nodeToken('run_live', 'n');
    await append(service.url, 'run_live', 'n', token, ndjson([{ msg: 'one' }, { msg: 'two' }]));
    const response = await openStream('run_live', 'n');
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const collecting = collectSse(response, (events) => events.some((e) => e.event === 'end'));
    // Live records arrive without polling; the final system record closes the stream.
    await append(service.url, 'run_live', 'n', token, ndjson([{ msg: 'three' }]));
    await append(
      service.url,
      'run_live',
      'n',
      token,
      ndjson([{ msg: 'node succeeded', stream: 'system', final: true }]),
    );
    const events = await collecting;
    const got = records(events);
    expect(got.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(events.filter((e) => e.event === 'message').map((e) => e.id)).toEqual(['1', '2', '3', '4']);
    expect(got[3]).toMatchObject({ msg: 'node succeeded', final: true });
    expect(events[events.length - 1]!.event).toBe('end');
  });

  it('resumes from Last-Event-ID (or after_seq) without duplicates', async () => {
    const token = nodeToken('run_resume', 'n');
    await append(
      service.url,
      'run_resume',
      'n',
      token,
      ndjson(Array.from({ length: 10 }, (_, i) => ({ msg: `m${i + 1}` }))),
    );
    const firstPart = await collectSse(
      await openStream('run_resume', 'n'),
      (events) => records(events).length >= 4,
    );
    const lastId = firstPart.filter((e) => e.event === 'message').at(-1)!.id!;
    expect(Number(lastId)).toBeGreaterThanOrEqual(4);
    await append(
      service.url,
      'run_resume',
      'n',
      token,
      ndjson([{ msg: 'done', stream: 'system', final: true }]),
    );
    const rest = await collectSse(
      await openStream('run_resume', 'n', { 'last-event-id': lastId }),
      (events) => events.some((e) => e.event === 'end'),
    );
    const seqs = records(rest).map((r) => r.seq);
    expect(seqs[0]).toBe(Number(lastId) + 1);
    expect(seqs.at(-1)).toBe(11);
    expect(new Set(seqs).size).toBe(seqs.length);
    // Query form, and a resume at the final record ends at once.
    const viaQuery = await collectSse(await openStream('run_resume', 'n', {}, '?after_seq=9'), (events) =>
      events.some((e) => e.event === 'end'),
    );
    expect(records(viaQuery).map((r) => r.seq)).toEqual([10, 11]);
    const atEnd = await collectSse(await openStream('run_resume', 'n', { 'last-event-id': '11' }), (events) =>
      events.some((e) => e.event === 'end'),
    );
    expect(records(atEnd)).toEqual([]);
    expect(atEnd.at(-1)!.event).toBe('end');
  });

  it('rejects streams without a token or for another node', async () => {
    expect((await fetch(`${service.url}/api/v1/logs/run_x/n/stream`)).status).toBe(401);
    const wrong = await fetch(`${service.url}/api/v1/logs/run_x/n/stream`, {
      headers: { authorization: `Bearer ${nodeToken('run_x', 'm')}` },
    });
    expect(wrong.status).toBe(403);
    const badId = await fetch(`${service.url}/api/v1/logs/run_x/n/stream`, {
      headers: { authorization: `Bearer ${nodeToken('run_x', 'n')}`, 'last-event-id': 'abc' },
    });
    expect(badId.status).toBe(400);
  });

  it('never lets a client that stops reading stall appends or other followers', async () => {
    const token = nodeToken('run_slow', 'n');
    const url = new URL(`${service.url}/api/v1/logs/run_slow/n/stream`);
    // A follower that reads its headers and then never reads again (its socket fills up).
    const stalled = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.pause();
        resolve(res);
      });
      req.on('error', reject);
      req.end();
    });
    const healthy = openStream('run_slow', 'n').then((r) =>
      collectSse(r, (events) => events.some((e) => e.event === 'end')),
    );
    const line = 'p'.repeat(4_000);
    let stored = 0;
    for (let batch = 0; batch < 40; batch++) {
      const response = await append(
        service.url,
        'run_slow',
        'n',
        token,
        ndjson(Array.from({ length: 100 }, () => ({ msg: line }))),
      );
      expect(response.status).toBe(200);
      stored += 100;
    }
    await append(
      service.url,
      'run_slow',
      'n',
      token,
      ndjson([{ msg: 'end', stream: 'system', final: true }]),
    );
    const events = await healthy;
    expect(records(events)).toHaveLength(stored + 1);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/sparkwing_logs_active_streams\{service="logs"\} 1/);
    stalled.destroy();
  });
});

describe('keepalive', () => {
  it('sends comment keepalives while a node is quiet', async () => {
    const { dir, cleanup: done } = await tempDir();
    const logs = createLogsService({
      dataDir: dir,
      signingKey: SIGNING_KEY,
      introspect: null,
      keepaliveMs: 30,
    });
    try {
      const response = await logs.app.request('/api/v1/logs/run_k/n/stream', {
        headers: { authorization: `Bearer ${nodeToken('run_k', 'n')}` },
      });
      const events = await collectSse(
        response,
        (evs) => evs.filter((e) => e.event === 'comment' && e.data === 'keepalive').length >= 2,
      );
      expect(events.filter((e) => e.data === 'keepalive').length).toBeGreaterThanOrEqual(2);
    } finally {
      await logs.close();
      await done();
    }
  });
});
