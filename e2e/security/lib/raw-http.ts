import { Agent, request } from 'node:http';

export interface RawRequest {
  method: string;
  /** Sent as is: may hold backslashes, NUL escapes, very long segments. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Send the body as these chunks with Transfer-Encoding: chunked. */
  chunks?: Buffer[];
}

export interface RawAnswer {
  /** null: the server closed the connection without an answer. */
  status: number | null;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/**
 * One request over node:http, so malformed paths and headers reach the server as written. A request that
 * failed on a reused keep-alive socket the server had just closed is sent once more (Node's advice).
 */
export async function rawRequest(base: string, req: RawRequest): Promise<RawAnswer> {
  const first = await attempt(base, req);
  return first.reused && first.answer.status === null ? (await attempt(base, req)).answer : first.answer;
}

function attempt(base: string, req: RawRequest): Promise<{ answer: RawAnswer; reused: boolean }> {
  const url = new URL(base);
  return new Promise((resolve) => {
    let settled = false;
    let reused = false;
    const finish = (answer: RawAnswer) => {
      if (settled) return;
      settled = true;
      resolve({ answer, reused });
    };
    const headers = { ...req.headers };
    if (req.chunks) headers['transfer-encoding'] = 'chunked';
    else if (req.body) headers['content-length'] = String(req.body.length);
    let outgoing: ReturnType<typeof request>;
    try {
      outgoing = request(
        { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          const type = String(res.headers['content-type'] ?? '');
          if (type.startsWith('text/event-stream')) {
            res.destroy();
            finish({ status: res.statusCode ?? null, headers: res.headers, text });
            return;
          }
          res.on('data', (piece: string) => {
            if (text.length < 64 * 1024) text += piece;
          });
          res.on('end', () => finish({ status: res.statusCode ?? null, headers: res.headers, text }));
          res.on('error', () => finish({ status: res.statusCode ?? null, headers: res.headers, text }));
        },
      );
    } catch (error) {
      // node:http refuses some paths/headers itself (e.g. raw control characters): not sent at all.
      finish({ status: -1, headers: {}, text: (error as Error).message });
      return;
    }
    outgoing.on('socket', () => {
      reused = outgoing.reusedSocket;
    });
    outgoing.setTimeout(20_000, () => outgoing.destroy(new Error('timeout')));
    outgoing.on('error', () => finish({ status: null, headers: {}, text: '' }));
    if (req.chunks) {
      for (const chunk of req.chunks) outgoing.write(chunk);
      outgoing.end();
    } else outgoing.end(req.body);
  });
}
