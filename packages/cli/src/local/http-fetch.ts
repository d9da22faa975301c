import { Agent, request } from 'node:http';
import { Readable } from 'node:stream';
import type { FetchLike } from '@sparkwing/client';

/**
 * A fetch over `node:http` for talking to the local dashboard. Global fetch (undici) compiles its WASM
 * HTTP parser on the first request, which cost a one-shot command more CPU than opening the store itself;
 * node:http uses the built-in parser. Plain http to 127.0.0.1 only; bodies are strings or bytes.
 */
export function nodeHttpFetch(): FetchLike {
  const agent = new Agent({ keepAlive: true });
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const body = init.body;
      if (body != null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        reject(new TypeError('nodeHttpFetch: only string and byte bodies are supported'));
        return;
      }
      const req = request(
        input,
        {
          method: init.method ?? 'GET',
          headers: Object.fromEntries(new Headers(init.headers).entries()),
          agent,
          signal: init.signal ?? undefined,
        },
        (res) => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
          }
          const empty = res.statusCode === 204 || res.statusCode === 304 || init.method === 'HEAD';
          if (empty) res.resume();
          resolve(
            new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
              status: res.statusCode ?? 502,
              headers,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body ?? undefined);
    });
}
