import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  append,
  ndjson,
  nodeToken,
  readNdjson,
  type ServiceProcess,
  startIntrospectionPeer,
  startService,
  tempDir,
} from './helpers.js';

let service: ServiceProcess;
let peer: Awaited<ReturnType<typeof startIntrospectionPeer>>;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  peer = await startIntrospectionPeer({
    reader: ['logs.read'],
    writer: ['logs.write'],
    admin: ['admin'],
    runs: ['runs.read'],
  });
  service = await startService({ SPARKWING_DATA_DIR: dir, SPARKWING_CONTROLLER_URL: peer.url });
});

afterAll(async () => {
  await service?.stop();
  await peer?.close();
  await cleanup?.();
});

const get = (path: string, token = 'reader', headers: Record<string, string> = {}) =>
  fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });

describe('append and read', () => {
  it('stores dense per-node seqs, applies defaults and reads with after_seq, limit, tail and grep', async () => {
    const token = nodeToken('run_a', 'build');
    const first = await append(
      service.url,
      'run_a',
      'build',
      token,
      ndjson([{ msg: 'compiling' }, { msg: 'Warning: x', stream: 'stderr' }]),
    );
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ first_seq: 1, last_seq: 2, stored: 2, duplicates: 0 });
    const second = await append(
      service.url,
      'run_a',
      'build',
      token,
      ndjson([
        { msg: 'tests passed', step: 'test', ts: '2026-01-01T00:00:00.000Z' },
        { msg: 'warning again' },
      ]),
    );
    expect(await second.json()).toMatchObject({ first_seq: 3, last_seq: 4 });

    const all = await readNdjson(await get('/api/v1/logs/run_a/build'));
    expect(all.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(all[0]).toMatchObject({ seq: 1, stream: 'stdout', msg: 'compiling' });
    expect(all[1]).toMatchObject({ stream: 'stderr' });
    expect(all[2]).toEqual({
      seq: 3,
      ts: '2026-01-01T00:00:00.000Z',
      stream: 'stdout',
      step: 'test',
      msg: 'tests passed',
    });

    const page = await get('/api/v1/logs/run_a/build?after_seq=1&limit=2');
    expect(page.headers.get('x-last-seq')).toBe('3');
    expect((await readNdjson(page)).map((r) => r.seq)).toEqual([2, 3]);
    expect((await readNdjson(await get('/api/v1/logs/run_a/build?tail=2'))).map((r) => r.seq)).toEqual([
      3, 4,
    ]);
    expect((await readNdjson(await get('/api/v1/logs/run_a/build?grep=WARNING'))).map((r) => r.seq)).toEqual([
      2, 4,
    ]);
    expect(
      (await readNdjson(await get('/api/v1/logs/run_a/build?grep=warning&tail=1'))).map((r) => r.seq),
    ).toEqual([4]);

    const text = await get('/api/v1/logs/run_a/build', 'reader', { accept: 'text/plain' });
    expect(text.headers.get('content-type')).toContain('text/plain');
    expect(await text.text()).toBe('compiling\nWarning: x\ntests passed\nwarning again\n');

    const onDisk = (await readFile(join(dir, 'runs', 'run_a', 'build.log'), 'utf8')).trim().split('\n');
    expect(onDisk).toHaveLength(4);
    expect(JSON.parse(onDisk[3]!)).toMatchObject({ seq: 4, msg: 'warning again' });
  });

  it('reads across chunk boundaries of a large file', async () => {
    const token = nodeToken('run_big', 'n');
    const pad = 'x'.repeat(300);
    for (let batch = 0; batch < 3; batch++) {
      const records = Array.from({ length: 1_000 }, (_, i) => ({
        msg: `line ${batch * 1_000 + i + 1} ${pad}`,
      }));
      expect((await append(service.url, 'run_big', 'n', token, ndjson(records))).status).toBe(200);
    }
    const tail = await readNdjson(await get('/api/v1/logs/run_big/n?tail=3'));
    expect(tail.map((r) => r.seq)).toEqual([2998, 2999, 3000]);
    expect(tail[2]!.msg).toBe(`line 3000 ${pad}`);
    const after = await readNdjson(await get('/api/v1/logs/run_big/n?after_seq=1500&limit=2'));
    expect(after.map((r) => r.msg)).toEqual([`line 1501 ${pad}`, `line 1502 ${pad}`]);
    // Reads that start at, before and after the sparse index's checkpoints (every 1,024 seqs).
    for (const after of [0, 1023, 1024, 1025, 2048, 2999, 2500, 5]) {
      const page = await readNdjson(await get(`/api/v1/logs/run_big/n?after_seq=${after}&limit=3`));
      expect(page.map((r) => r.seq)).toEqual([after + 1, after + 2, after + 3].filter((seq) => seq <= 3000));
    }
    const grep = await readNdjson(await get('/api/v1/logs/run_big/n?grep=line%202500%20'));
    expect(grep.map((r) => r.seq)).toEqual([2500]);
  });

  it('does not store a retried batch twice (same writer, same client_seq)', async () => {
    const token = nodeToken('run_dup', 'n');
    const batch = ndjson([
      { msg: 'a', client_seq: 1 },
      { msg: 'b', client_seq: 2 },
    ]);
    const headers = { 'x-log-writer': 'shipper-1' };
    expect(await (await append(service.url, 'run_dup', 'n', token, batch, headers)).json()).toEqual({
      first_seq: 1,
      last_seq: 2,
      stored: 2,
      duplicates: 0,
    });
    expect(await (await append(service.url, 'run_dup', 'n', token, batch, headers)).json()).toEqual({
      first_seq: 1,
      last_seq: 2,
      stored: 0,
      duplicates: 2,
    });
    // Partly new: only the new record is stored.
    const mixed = ndjson([
      { msg: 'b', client_seq: 2 },
      { msg: 'c', client_seq: 3 },
    ]);
    expect(await (await append(service.url, 'run_dup', 'n', token, mixed, headers)).json()).toMatchObject({
      stored: 1,
      duplicates: 1,
      last_seq: 3,
    });
    // Another writer's client_seq values are its own.
    const other = await append(service.url, 'run_dup', 'n', token, batch, { 'x-log-writer': 'shipper-2' });
    expect(await other.json()).toMatchObject({ first_seq: 4, last_seq: 5, stored: 2 });
    const records = await readNdjson(await get('/api/v1/logs/run_dup/n'));
    expect(records.map((r) => r.msg)).toEqual(['a', 'b', 'c', 'a', 'b']);
  });

  it('groups a run by node and deletes a run (204 even without logs)', async () => {
    await append(
      service.url,
      'run_grp',
      'b-node',
      nodeToken('run_grp', 'b-node'),
      ndjson([{ msg: 'from b' }]),
    );
    await append(
      service.url,
      'run_grp',
      'a-node',
      nodeToken('run_grp', 'a-node'),
      ndjson([{ msg: 'a1' }, { msg: 'a2' }]),
    );
    const run = (await (await get('/api/v1/logs/run_grp?limit=1')).json()) as {
      run_id: string;
      nodes: Array<{ node_id: string; records: Array<{ msg: string }>; truncated: boolean }>;
    };
    expect(run.run_id).toBe('run_grp');
    expect(run.nodes.map((n) => [n.node_id, n.records.map((r) => r.msg), n.truncated])).toEqual([
      ['a-node', ['a1'], true],
      ['b-node', ['from b'], false],
    ]);
    const del = () =>
      fetch(`${service.url}/api/v1/logs/run_grp`, {
        method: 'DELETE',
        headers: { authorization: 'Bearer writer' },
      });
    expect((await del()).status).toBe(204);
    expect((await del()).status).toBe(204);
    expect(await (await get('/api/v1/logs/run_grp')).json()).toEqual({ run_id: 'run_grp', nodes: [] });
    const never = await fetch(`${service.url}/api/v1/logs/run_never`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin' },
    });
    expect(never.status).toBe(204);
  });

  it('searches newest runs first with bounded pages and a cursor', async () => {
    for (const runId of ['run_s1', 'run_s2', 'run_s3']) {
      await append(
        service.url,
        runId,
        'n',
        nodeToken(runId, 'n'),
        ndjson([{ msg: `needle in ${runId}` }, { msg: 'hay' }, { msg: 'NEEDLE again' }]),
      );
    }
    const first = (await (await get('/api/v1/logs/search?q=needle&limit=4')).json()) as {
      matches: Array<{ run_id: string; node_id: string; seq: number; msg: string }>;
      next_cursor: string | null;
    };
    expect(first.matches.map((m) => [m.run_id, m.seq])).toEqual([
      ['run_s3', 1],
      ['run_s3', 3],
      ['run_s2', 1],
      ['run_s2', 3],
    ]);
    expect(first.next_cursor).not.toBeNull();
    const second = (await (
      await get(`/api/v1/logs/search?q=needle&limit=4&cursor=${first.next_cursor}`)
    ).json()) as {
      matches: Array<{ run_id: string; seq: number }>;
      next_cursor: string | null;
    };
    expect(second.matches.map((m) => [m.run_id, m.seq])).toEqual([
      ['run_s1', 1],
      ['run_s1', 3],
    ]);
    expect(second.next_cursor).toBeNull();
    const scoped = (await (await get('/api/v1/logs/search?q=needle&run_id=run_s2')).json()) as {
      matches: unknown[];
    };
    expect(scoped.matches).toHaveLength(2);
    expect((await get('/api/v1/logs/search?q=needle&cursor=garbage')).status).toBe(400);
  });
});

describe('validation', () => {
  const token = nodeToken('run_v', 'n');
  const expectEnvelope = async (response: Response, status: number, code: string, message?: RegExp) => {
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: { code: string; message: string; request_id: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.request_id).toBeTruthy();
    if (message) expect(body.error.message).toMatch(message);
  };

  it('rejects unsafe ids with 400', async () => {
    await expectEnvelope(
      await append(service.url, 'run_v', 'a..b', token, ndjson([{ msg: 'x' }])),
      400,
      'validation_failed',
    );
    await expectEnvelope(await get('/api/v1/logs/run_v/a%2Fb', 'admin'), 400, 'validation_failed');
    await expectEnvelope(await get('/api/v1/logs/run_v/a%00b', 'admin'), 400, 'validation_failed');
    await expectEnvelope(await get('/api/v1/logs/..%2F..', 'admin'), 400, 'validation_failed');
  });

  it('rejects bad bodies with 400 naming the line, and over-limit bodies with 413', async () => {
    await expectEnvelope(
      await append(service.url, 'run_v', 'n', token, '{"msg":"ok"}\n{nope\n'),
      400,
      'bad_request',
      /line 2/,
    );
    await expectEnvelope(
      await append(service.url, 'run_v', 'n', token, ndjson([{ msg: 'x', colour: 'red' }])),
      400,
      'validation_failed',
      /line 1/,
    );
    await expectEnvelope(
      await append(service.url, 'run_v', 'n', token, ndjson([{ msg: 'x', stream: 'stdin' }])),
      400,
      'validation_failed',
    );
    await expectEnvelope(
      await append(service.url, 'run_v', 'n', token, '\n\n'),
      400,
      'bad_request',
      /empty batch/,
    );
    await expectEnvelope(
      await append(service.url, 'run_v', 'n', token, ndjson([{ msg: 'y'.repeat(70_000) }])),
      413,
      'payload_too_large',
      /line 1/,
    );
    const many = ndjson(Array.from({ length: 5_001 }, () => ({ msg: 'm' })));
    await expectEnvelope(
      await append(service.url, 'run_v', 'n', token, many),
      413,
      'payload_too_large',
      /5000 records/,
    );
    const huge = ndjson(Array.from({ length: 100 }, () => ({ msg: 'z'.repeat(50_000) })));
    await expectEnvelope(await append(service.url, 'run_v', 'n', token, huge), 413, 'payload_too_large');
    await expectEnvelope(
      await append(service.url, 'run_v', 'n', token, ndjson([{ msg: 'x' }]), {
        'x-log-writer': 'bad writer!',
      }),
      400,
      'validation_failed',
    );
    await expectEnvelope(await get('/api/v1/logs/run_v/n?limit=abc'), 400, 'validation_failed', /limit/);
    await expectEnvelope(await get('/api/v1/logs/run_v/n?bogus=1'), 400, 'validation_failed');
    // Nothing of the rejected batches was stored.
    expect(await readNdjson(await get('/api/v1/logs/run_v/n'))).toEqual([]);
  });
});

describe('auth', () => {
  it('needs a bearer, and the right node or scope', async () => {
    const body = ndjson([{ msg: 'x' }]);
    const noToken = await fetch(`${service.url}/api/v1/logs/run_auth/n`, { method: 'POST', body });
    expect(noToken.status).toBe(401);
    expect((await append(service.url, 'run_auth', 'n', nodeToken('run_auth', 'other'), body)).status).toBe(
      403,
    );
    expect((await append(service.url, 'run_auth', 'n', nodeToken('run_other', 'n'), body)).status).toBe(403);
    expect(
      (await append(service.url, 'run_auth', 'n', nodeToken('run_auth', 'n', -1_000), body)).status,
    ).toBe(401);
    const forged = `${nodeToken('run_auth', 'n').slice(0, -4)}AAAA`;
    expect((await append(service.url, 'run_auth', 'n', forged, body)).status).toBe(401);
    expect((await append(service.url, 'run_auth', 'n', nodeToken('run_auth', 'n'), body)).status).toBe(200);

    const readerAppend = await append(service.url, 'run_auth', 'n', 'reader', body);
    expect(readerAppend.status).toBe(403);
    expect(((await readerAppend.json()) as { error: { message: string } }).error.message).toContain(
      'logs.write',
    );
    expect((await append(service.url, 'run_auth', 'n', 'writer', body)).status).toBe(200);
    expect((await append(service.url, 'run_auth', 'n', 'admin', body)).status).toBe(200);
    expect((await append(service.url, 'run_auth', 'n', 'unknown-token', body)).status).toBe(401);

    const runsOnly = await get('/api/v1/logs/run_auth/n', 'runs');
    expect(runsOnly.status).toBe(403);
    expect(((await runsOnly.json()) as { error: { message: string } }).error.message).toContain('logs.read');
    expect((await get('/api/v1/logs/run_auth/n', nodeToken('run_auth', 'n'))).status).toBe(200);
    expect((await get('/api/v1/logs/run_auth/other', nodeToken('run_auth', 'n'))).status).toBe(403);
    expect((await get('/api/v1/logs/run_auth', nodeToken('run_auth', 'n'))).status).toBe(403);
    expect((await get('/api/v1/logs/search?q=x', nodeToken('run_auth', 'n'))).status).toBe(403);
    expect(
      (
        await fetch(`${service.url}/api/v1/logs/run_auth`, {
          method: 'DELETE',
          headers: { authorization: 'Bearer reader' },
        })
      ).status,
    ).toBe(403);
    expect((await get('/api/v1/logs/run_auth/n', 'reader')).status).toBe(200);
  });

  it('never takes "search" for a run id, whatever the method', async () => {
    expect((await append(service.url, 'search', 'n', 'writer', ndjson([{ msg: 'x' }]))).status).toBe(400);
    const res = await fetch(`${service.url}/api/v1/logs/search`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer writer' },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('names a route');
  });

  it('caches introspection answers briefly', async () => {
    await get('/api/v1/logs/run_cache/n', 'reader');
    const before = peer.calls();
    for (let i = 0; i < 5; i++) expect((await get('/api/v1/logs/run_cache/n', 'reader')).status).toBe(200);
    expect(peer.calls()).toBe(before);
  });
});

describe('operations', () => {
  it('serves health and its own metric families', async () => {
    expect(await (await fetch(`${service.url}/api/v1/health`)).json()).toMatchObject({ status: 'ok' });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    for (const family of [
      'sparkwing_logs_appended_records_total',
      'sparkwing_logs_appended_bytes_total',
      'sparkwing_logs_append_duration_seconds_bucket',
      'sparkwing_logs_fsync_duration_seconds_bucket',
      'sparkwing_logs_active_streams',
      'sparkwing_logs_rejected_appends_total{reason="too_large"',
      'sparkwing_http_requests_total{route="/api/v1/logs/:runId/:nodeId"',
    ]) {
      expect(metrics).toContain(family);
    }
    expect(metrics).toMatch(
      /sparkwing_logs_rejected_appends_total\{reason="forbidden",service="logs"\} [1-9]/,
    );
    expect(metrics).not.toContain('run_a');
  });
});
