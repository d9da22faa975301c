import { describe, expect, it } from 'vitest';
import { LogShipper, LogsAuthError } from '../src/log-shipper.js';

interface Sent {
  url: string;
  writer: string;
  token: string;
  lines: Array<Record<string, unknown>>;
}

/** A stand-in for the logs service's append route: records requests and answers from a script. */
function fakeLogs(script: (call: number, sent: Sent) => Response | Error = () => ok()) {
  const sent: Sent[] = [];
  const fetch = async (url: string, init?: RequestInit) => {
    const headers = init?.headers as Record<string, string>;
    const body = String(init?.body ?? '');
    const entry: Sent = {
      url,
      writer: headers['x-log-writer']!,
      token: headers.authorization!,
      lines: body
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    };
    sent.push(entry);
    const answer = script(sent.length, entry);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { sent, fetch };
}

function ok(): Response {
  return new Response(JSON.stringify({ first_seq: 1, last_seq: 1, stored: 1, duplicates: 0 }), {
    status: 200,
  });
}

function status(code: number, message = 'nope'): Response {
  return new Response(JSON.stringify({ error: { code: 'x', message, request_id: 'r' } }), { status: code });
}

const base = { baseUrl: 'http://logs.test/', runId: 'run_1', nodeId: 'build', token: () => 'tok' };

describe('LogShipper', () => {
  it('batches by record count and sends everything on flush, in order, with monotonic client_seq', async () => {
    const logs = fakeLogs();
    const shipper = new LogShipper({ ...base, fetch: logs.fetch, maxBatchRecords: 3, maxDelayMs: 60_000 });
    for (let i = 1; i <= 7; i++)
      shipper.write({ msg: `line ${i}`, stream: i % 2 ? 'stdout' : 'stderr', step: 'compile' });
    await shipper.flush();
    expect(logs.sent.map((s) => s.lines.length)).toEqual([3, 3, 1]);
    const all = logs.sent.flatMap((s) => s.lines);
    expect(all.map((l) => l.msg)).toEqual([
      'line 1',
      'line 2',
      'line 3',
      'line 4',
      'line 5',
      'line 6',
      'line 7',
    ]);
    expect(all.map((l) => l.client_seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(all[1]).toMatchObject({ stream: 'stderr', step: 'compile' });
    expect(logs.sent[0]!.url).toBe('http://logs.test/api/v1/logs/run_1/build');
    expect(new Set(logs.sent.map((s) => s.writer)).size).toBe(1);
    await shipper.close();
  });

  it('batches by bytes, and sends a small batch after the delay without a flush', async () => {
    const logs = fakeLogs();
    const shipper = new LogShipper({ ...base, fetch: logs.fetch, maxBatchBytes: 200, maxDelayMs: 20 });
    shipper.write({ msg: 'a'.repeat(150) });
    shipper.write({ msg: 'b'.repeat(150) });
    shipper.write({ msg: 'tiny' });
    while (logs.sent.flatMap((s) => s.lines).length < 3)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(logs.sent.every((s) => s.lines.length === 1)).toBe(true);
    await shipper.close();
  });

  it('retries network errors and 5xx with the same client_seq and writer, refreshing the token', async () => {
    let token = 0;
    const logs = fakeLogs((call) =>
      call === 1 ? new TypeError('fetch failed') : call === 2 ? status(503) : ok(),
    );
    const shipper = new LogShipper({
      ...base,
      token: () => `tok${++token}`,
      fetch: logs.fetch,
      maxDelayMs: 1,
    });
    shipper.write({ msg: 'x' });
    shipper.write({ msg: 'y', final: true, stream: 'system' });
    await shipper.flush();
    expect(logs.sent).toHaveLength(3);
    expect(logs.sent.map((s) => s.lines.map((l) => l.client_seq))).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(new Set(logs.sent.map((s) => s.writer)).size).toBe(1);
    expect(logs.sent.map((s) => s.token)).toEqual(['Bearer tok1', 'Bearer tok2', 'Bearer tok3']);
    expect(logs.sent[2]!.lines[1]).toMatchObject({ final: true, stream: 'system' });
  });

  it('rejects flush with LogsAuthError on 401/403 and stops sending', async () => {
    const logs = fakeLogs(() => status(403, 'node token is for another node'));
    const shipper = new LogShipper({ ...base, fetch: logs.fetch });
    shipper.write({ msg: 'x' });
    const error = await shipper.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogsAuthError);
    expect((error as LogsAuthError).status).toBe(403);
    expect((error as LogsAuthError).message).toContain('another node');
    expect(shipper.authFailed).toBe(true);
    shipper.write({ msg: 'ignored' });
    await expect(shipper.flush()).rejects.toBeInstanceOf(LogsAuthError);
    expect(logs.sent).toHaveLength(1);
  });

  it('gives up after maxRetries but keeps the batch for the next flush', async () => {
    let failing = true;
    const logs = fakeLogs(() => (failing ? status(502) : ok()));
    const shipper = new LogShipper({ ...base, fetch: logs.fetch, maxRetries: 1 });
    shipper.write({ msg: 'kept' });
    await expect(shipper.flush()).rejects.toThrow(/502/);
    failing = false;
    await shipper.flush();
    expect(logs.sent.at(-1)!.lines.map((l) => l.msg)).toEqual(['kept']);
  });

  it('splits very long messages so no line exceeds the service limit', async () => {
    const logs = fakeLogs();
    const shipper = new LogShipper({ ...base, fetch: logs.fetch });
    shipper.write({ msg: 'z'.repeat(20_000), final: true });
    await shipper.close();
    const lines = logs.sent.flatMap((s) => s.lines);
    expect(lines.length).toBe(3);
    expect(lines.map((l) => String(l.msg)).join('')).toBe('z'.repeat(20_000));
    expect(lines.map((l) => l.final ?? false)).toEqual([false, false, true]);
  });

  it('sends records written right after a flush resolved on the next flush', async () => {
    const logs = fakeLogs();
    const shipper = new LogShipper({ ...base, fetch: logs.fetch, maxDelayMs: 60_000 });
    for (let round = 1; round <= 3; round++) {
      shipper.write({ msg: `round ${round}` });
      await shipper.flush();
    }
    expect(logs.sent.flatMap((s) => s.lines.map((l) => l.msg))).toEqual(['round 1', 'round 2', 'round 3']);
  });

  it('never throws from write and resolves flush at once when nothing is pending', async () => {
    const logs = fakeLogs();
    const shipper = new LogShipper({ ...base, fetch: logs.fetch });
    await shipper.flush();
    await shipper.close();
    expect(() => shipper.write({ msg: 'after close' })).not.toThrow();
    expect(logs.sent).toHaveLength(0);
  });
});
