import type { MiddlewareHandler } from 'hono';

/**
 * An error answered before the request body was read (401, 413, 400) leaves unread bytes on the socket; a
 * client reusing that keep-alive connection would fail. Close it instead.
 */
export function closeOnEarlyError(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const hasBody =
      c.req.header('content-length') !== undefined || c.req.header('transfer-encoding') !== undefined;
    if (hasBody && c.res.status >= 400 && c.req.header('content-length') !== '0') {
      c.res.headers.set('connection', 'close');
    }
  };
}
