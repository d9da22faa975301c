import { randomUUID } from 'node:crypto';
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { Duplex } from 'node:stream';

function envelope(message: string): string {
  return JSON.stringify({ error: { code: 'bad_request', message, request_id: randomUUID() } });
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * `http.createServer` for `serve({ createServer })`: requests the Hono adapter would refuse before any
 * middleware runs (a backslash in the path, a path not starting with "/") and requests Node's parser
 * refuses (oversized headers, malformed HTTP) still get the one error envelope instead of an empty body.
 */
function guardedServer(options: ServerOptions, listener: RequestListener): Server {
  const server = createServer(options, (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    if (!path.startsWith('/') || path.includes('\\')) {
      const body = envelope('the request path must start with "/" and contain no backslash');
      res.writeHead(400, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        connection: 'close',
      });
      res.end(body);
      return;
    }
    listener(req, res);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = envelope(
      status === 431
        ? 'request headers are too large'
        : status === 408
          ? 'the request took too long to arrive'
          : 'malformed HTTP request',
    );
    // A HEAD request's answer carries no body (its client would choke on one).
    const head = (error as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
    socket.end(
      `HTTP/1.1 ${status} ${REASONS[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${head ? '' : body}`,
    );
  });
  return server;
}

/**
 * `guardedServer` typed as `http.createServer`, the shape `@hono/node-server`'s `createServer` option
 * expects (it always calls it with options and a listener).
 */
export const guardedCreateServer = guardedServer as unknown as typeof createServer;
