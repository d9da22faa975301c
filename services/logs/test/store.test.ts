import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogsService, type LogsService } from '../src/index.js';
import { collectSse, ndjson, nodeToken, SIGNING_KEY, tempDir } from './helpers.js';

let logs: LogsService;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  logs = createLogsService({
    dataDir: tmp.dir,
    signingKey: SIGNING_KEY,
    introspect: (token) =>
      token === 'reader'
        ? {
            active: true,
            principal: { kind: 'user', name: 'r', token_prefix: null, run_id: null, node_id: null },
            scopes: ['logs.read', 'logs.write'],
            expires_at: null,
          }
        : null,
    searchBudget: { maxBytes: 1, maxFiles: 1_000 },
    clock: () => Date.UTC(2026, 0, 2, 3, 4, 5),
  });
});

afterEach(async () => {
  await logs.close();
  await cleanup();
});

const auth = { authorization: 'Bearer reader' };

async function put(runId: string, nodeId: string, records: object[]) {
  const response = await logs.app.request(`/api/v1/logs/${runId}/${nodeId}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${nodeToken(runId, nodeId)}` },
    body: ndjson(records),
  });
  expect(response.status).toBe(200);
}

describe('embedded service (in-process)', () => {
  it('walks a search one bounded step at a time and finds every match exactly once', async () => {
    await put('run_1', 'a', [{ msg: 'match 1' }, { msg: 'skip' }, { msg: 'Match "2"' }]);
    await put('run_1', 'b', [{ msg: 'match 3' }]);
    await put('run_2', 'a', [{ msg: 'no' }, { msg: 'match 4' }]);
    const found: string[] = [];
    let cursor: string | null = null;
    let requests = 0;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const response = await logs.app.request(`/api/v1/logs/search?q=match${query}`, { headers: auth });
      const page = (await response.json()) as {
        matches: Array<{ run_id: string; node_id: string; msg: string }>;
        next_cursor: string | null;
      };
      found.push(...page.matches.map((m) => `${m.run_id}/${m.node_id}: ${m.msg}`));
      cursor = page.next_cursor;
      requests += 1;
    } while (cursor && requests < 50);
    // A 1-byte budget returns after every line, so the walk takes one request per line.
    expect(requests).toBeGreaterThan(6);
    expect(found).toEqual(['run_2/a: match 4', 'run_1/a: match 1', 'run_1/a: Match "2"', 'run_1/b: match 3']);
  });

  it('uses the injected clock for records without ts', async () => {
    await put('run_c', 'n', [{ msg: 'x' }]);
    const response = await logs.app.request('/api/v1/logs/run_c/n', { headers: auth });
    expect(JSON.parse(await response.text())).toMatchObject({ ts: '2026-01-02T03:04:05.000Z' });
  });

  it('ends open streams when their run is deleted', async () => {
    await put('run_d', 'n', [{ msg: 'one' }]);
    const response = await logs.app.request('/api/v1/logs/run_d/n/stream', { headers: auth });
    const collecting = collectSse(response, () => false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const deleted = await logs.app.request('/api/v1/logs/run_d', { method: 'DELETE', headers: auth });
    expect(deleted.status).toBe(204);
    const events = await collecting;
    expect(events.filter((e) => e.event === 'message').map((e) => e.id)).toEqual(['1']);
  });
});
