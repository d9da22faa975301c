import { LogShipper, LogsAuthError, LogsClient } from '@sparkwing/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeToken, type ServiceProcess, startIntrospectionPeer, startService, tempDir } from './helpers.js';

let service: ServiceProcess;
let peer: Awaited<ReturnType<typeof startIntrospectionPeer>>;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  peer = await startIntrospectionPeer({ reader: ['logs.read'], writer: ['logs.write'] });
  service = await startService({ SPARKWING_DATA_DIR: tmp.dir, SPARKWING_CONTROLLER_URL: peer.url });
});

afterAll(async () => {
  await service?.stop();
  await peer?.close();
  await cleanup?.();
});

describe('LogShipper and LogsClient against the real service', () => {
  it('stores a batch once when its response is lost and the shipper retries', async () => {
    let lose = true;
    const shipper = new LogShipper({
      baseUrl: service.url,
      runId: 'run_ship',
      nodeId: 'n',
      token: () => nodeToken('run_ship', 'n'),
      maxDelayMs: 5,
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        if (lose && response.ok) {
          lose = false;
          await response.body?.cancel();
          throw new TypeError('socket hang up');
        }
        return response;
      },
    });
    for (let i = 1; i <= 50; i++) shipper.write({ msg: `line ${i}` });
    shipper.write({ msg: 'node succeeded', stream: 'system', final: true });
    await shipper.close();
    const logs = new LogsClient({ baseUrl: service.url, token: 'reader' });
    const records = await logs.read('run_ship', 'n');
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    expect(records.at(-1)).toMatchObject({ stream: 'system', final: true });
  });

  it('reports LogsAuthError when the token is for another node', async () => {
    const shipper = new LogShipper({
      baseUrl: service.url,
      runId: 'run_ship',
      nodeId: 'n',
      token: () => nodeToken('run_ship', 'someone-else'),
    });
    shipper.write({ msg: 'x' });
    await expect(shipper.flush()).rejects.toBeInstanceOf(LogsAuthError);
    expect(shipper.authFailed).toBe(true);
  });

  it('follows a live node to its end, reads runs, searches and deletes', async () => {
    const logs = new LogsClient({ baseUrl: service.url, token: 'reader' });
    const shipper = new LogShipper({
      baseUrl: service.url,
      runId: 'run_follow',
      nodeId: 'n',
      token: () => 'writer',
      maxDelayMs: 5,
    });
    shipper.write({ msg: 'first' });
    await shipper.flush();
    const seen: string[] = [];
    const following = (async () => {
      for await (const record of logs.stream('run_follow', 'n')) seen.push(record.msg);
    })();
    shipper.write({ msg: 'second' });
    shipper.write({ msg: 'done', stream: 'system', final: true });
    await shipper.close();
    await following;
    expect(seen).toEqual(['first', 'second', 'done']);

    const resumed: number[] = [];
    for await (const record of logs.stream('run_follow', 'n', { afterSeq: 1 })) resumed.push(record.seq);
    expect(resumed).toEqual([2, 3]);

    expect((await logs.read('run_follow', 'n', { tail: 1 })).map((r) => r.msg)).toEqual(['done']);
    const run = await logs.readRun('run_follow');
    expect(run.nodes.map((n) => n.node_id)).toEqual(['n']);
    const found = await logs.search('SECOND', { runId: 'run_follow' });
    expect(found.matches).toEqual([{ run_id: 'run_follow', node_id: 'n', seq: 2, msg: 'second' }]);

    await new LogsClient({ baseUrl: service.url, token: 'writer' }).deleteRun('run_follow');
    expect(await logs.read('run_follow', 'n')).toEqual([]);
    await expect(logs.deleteRun('run_follow')).rejects.toMatchObject({ status: 403 });
  });
});
