import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogsService, type LogsService } from '../src/index.js';
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

let dir: string;
let cleanup: () => Promise<void>;
let writer: ServiceProcess;
let viewer: LogsService;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  writer = await startService({ SPARKWING_DATA_DIR: dir });
  // A second store over the same directory in this process, like the local dashboard next to `sparkwing run`.
  viewer = createLogsService({
    dataDir: dir,
    signingKey: SIGNING_KEY,
    introspect: null,
    pollIntervalMs: 100,
  });
});

afterAll(async () => {
  await viewer?.close();
  await writer?.stop();
  await cleanup?.();
});

describe('following a file another process appends to', () => {
  it('streams records appended by the other process, live, until the final record', async () => {
    const token = nodeToken('run_cp', 'n');
    // The stream starts before the file exists.
    const response = await viewer.app.request('/api/v1/logs/run_cp/n/stream', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const collecting = collectSse(response, (events) => events.some((e) => e.event === 'end'));
    for (let i = 0; i < 5; i++) {
      await append(writer.url, 'run_cp', 'n', token, ndjson([{ msg: `line ${i}` }, { msg: `more ${i}` }]));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await append(writer.url, 'run_cp', 'n', token, ndjson([{ msg: 'bye', stream: 'system', final: true }]));
    const events = await collecting;
    const seqs = events.filter((e) => e.event === 'message').map((e) => Number(e.id));
    expect(seqs).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(events.at(-1)!.event).toBe('end');
    // Plain reads see the other process's records too.
    const read = await viewer.app.request('/api/v1/logs/run_cp/n?tail=1', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await read.text()).toContain('"msg":"bye"');
  });
});
