import { createServer } from 'node:net';
import { LogShipper, LogsClient } from '@sparkwing/client';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeToken, type ServiceProcess, startService, tempDir } from './helpers.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let service: ServiceProcess | null = null;
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  await service?.stop();
  for (const cleanup of cleanups) await cleanup();
});

describe('LogsClient.stream across a service restart', () => {
  it('reconnects after the connection drops and resumes after the last seq it saw', async () => {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    const port = String(await freePort());
    service = await startService({ SPARKWING_DATA_DIR: dir, PORT: port });
    const token = nodeToken('run_rc', 'n');
    const ship = () =>
      new LogShipper({
        baseUrl: service!.url,
        runId: 'run_rc',
        nodeId: 'n',
        token: () => token,
        maxDelayMs: 5,
      });
    const before = ship();
    before.write({ msg: 'before 1' });
    before.write({ msg: 'before 2' });
    await before.close();

    const logs = new LogsClient({ baseUrl: service.url, token });
    const seen: number[] = [];
    let gotTwo: () => void = () => {};
    const two = new Promise<void>((resolve) => {
      gotTwo = resolve;
    });
    const following = (async () => {
      for await (const record of logs.stream('run_rc', 'n', { maxReconnects: 20 })) {
        seen.push(record.seq);
        if (seen.length === 2) gotTwo();
      }
    })();
    await two;
    await service.kill();
    service = await startService({ SPARKWING_DATA_DIR: dir, PORT: port });
    const after = ship();
    after.write({ msg: 'after 1' });
    after.write({ msg: 'done', stream: 'system', final: true });
    await after.close();
    await following;
    expect(seen).toEqual([1, 2, 3, 4]);
  });
});
