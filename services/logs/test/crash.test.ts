import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  append,
  ndjson,
  nodeToken,
  readNdjson,
  type ServiceProcess,
  startService,
  tempDir,
} from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let service: ServiceProcess | null = null;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});

afterAll(async () => {
  await service?.stop();
  await cleanup?.();
});

describe('crash recovery', () => {
  it('keeps every acknowledged record after SIGKILL, drops a torn line, continues seq and dedupe', async () => {
    service = await startService({ SPARKWING_DATA_DIR: dir });
    const token = nodeToken('run_crash', 'n');
    const headers = { 'x-log-writer': 'w1' };
    let acknowledged = 0;
    let nextCs = 1;
    // Concurrent writers keep appending while the process is killed.
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; ; i++) {
        const records = Array.from({ length: 20 }, (_, j) => ({ msg: `w${w} b${i} r${j}` }));
        try {
          const response = await append(service!.url, 'run_crash', 'n', token, ndjson(records));
          if (response.status === 200) acknowledged += 20;
        } catch {
          return;
        }
      }
    });
    await append(
      service.url,
      'run_crash',
      'n',
      token,
      ndjson([{ msg: 'dedupe me', client_seq: nextCs++ }]),
      headers,
    );
    acknowledged += 1;
    while (acknowledged < 400) await new Promise((resolve) => setTimeout(resolve, 10));
    await service.kill();
    await Promise.all(writers);
    service = null;

    // Simulate the kernel having persisted half of an unacknowledged write.
    const file = join(dir, 'runs', 'run_crash', 'n.log');
    await appendFile(file, '{"seq":999999,"ts":"2026-01-01T00:00:00Z","stream":"stdout","msg":"tor');

    service = await startService({ SPARKWING_DATA_DIR: dir });
    const reader = nodeToken('run_crash', 'n');
    const before = await readNdjson(
      await fetch(`${service.url}/api/v1/logs/run_crash/n?limit=10000`, {
        headers: { authorization: `Bearer ${reader}` },
      }),
    );
    expect(before.length).toBeGreaterThanOrEqual(acknowledged);
    expect(before.map((r) => r.seq)).toEqual(before.map((_, i) => i + 1));
    expect(before.some((r) => String(r.msg).endsWith('tor'))).toBe(false);

    // The retried batch from before the crash is recognised; a new record continues the dense seq.
    const retried = await append(
      service.url,
      'run_crash',
      'n',
      token,
      ndjson([{ msg: 'dedupe me', client_seq: 1 }]),
      headers,
    );
    expect(await retried.json()).toMatchObject({ stored: 0, duplicates: 1 });
    const next = await append(service.url, 'run_crash', 'n', token, ndjson([{ msg: 'after restart' }]));
    expect(await next.json()).toMatchObject({ first_seq: before.length + 1 });
    const raw = await readFile(file, 'utf8');
    expect(raw.endsWith('\n')).toBe(true);
    expect(raw).not.toContain('"msg":"tor');
    expect(service.output()).toContain('discarded torn trailing line');
  });
});
