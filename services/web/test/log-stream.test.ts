import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { followLog, type StreamState } from '../app/src/lib/log-stream.js';

const record = (seq: number) =>
  `id: ${seq}\ndata: ${JSON.stringify({ seq, ts: new Date(0).toISOString(), stream: 'stdout', msg: `line ${seq}` })}\n\n`;

let server: Server | null = null;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

describe('the browser log follower', () => {
  it('resumes a dropped stream from the last seq with Last-Event-ID and shows nothing twice', async () => {
    const seen: (string | undefined)[] = [];
    server = createServer((req, res) => {
      seen.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (seen.length === 1) {
        res.write(`: open\n\n${record(1)}${record(2)}${record(3)}`);
        setTimeout(() => res.socket?.destroy(), 50);
      } else {
        // An upstream that replays one record it already sent must not produce a duplicate line.
        res.end(`${record(3)}${record(4)}event: end\ndata: {}\n\n`);
      }
    });
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', () => done()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream`;
    const seqs: number[] = [];
    const states: StreamState[] = [];
    await followLog(url, {
      signal: new AbortController().signal,
      retryMs: 10,
      onRecords: (records) => seqs.push(...records.map((r) => r.seq)),
      onState: (state) => states.push(state),
    });
    expect(seqs).toEqual([1, 2, 3, 4]);
    expect(seen).toEqual([undefined, '3']);
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('ended');
  });

  it('gives up with the server’s message on 403', async () => {
    server = createServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { code: 'forbidden', message: 'this needs scope logs.read', request_id: 'x' },
        }),
      );
    });
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', () => done()));
    const states: [StreamState, string | undefined][] = [];
    await followLog(`http://127.0.0.1:${(server.address() as AddressInfo).port}/s`, {
      signal: new AbortController().signal,
      onRecords: () => undefined,
      onState: (state, detail) => states.push([state, detail]),
    });
    expect(states.at(-1)).toEqual(['error', 'this needs scope logs.read']);
  });
});
