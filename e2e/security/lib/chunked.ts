import { request } from 'node:http';

export interface ChunkedResult {
  /** The status the server answered with, or null when it closed the connection first. */
  status: number | null;
  body: string;
}

/**
 * Streams `totalBytes` as a chunked body (never held in memory here) and resolves with the answer. A server
 * that refuses early may close the socket while we still write: that is a result, not a failure.
 */
export function postChunked(
  url: string,
  totalBytes: number,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<ChunkedResult> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    let sent = 0;
    let status: number | null = null;
    let body = '';
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      resolve({ status, body });
    };
    const req = request(url, { method, headers: { 'transfer-encoding': 'chunked', ...headers } }, (res) => {
      status = res.statusCode ?? null;
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        if (body.length < 64 * 1024) body += text;
      });
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', done);
    req.on('close', () => setTimeout(done, 50));
    const pump = () => {
      while (sent < totalBytes && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}
