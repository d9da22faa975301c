import type { IncomingMessage } from 'node:http';
import { ApiError } from '@sparkwing/contracts';
import type { MiddlewareHandler } from 'hono';

const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * URL parsing silently resolves `..` (and `%2e%2e`) segments, so `/bin/../x` would reach `/x`. Such paths are
 * never legitimate here: refuse them with 400 using the raw request line the Node server received.
 */
export function rejectDotSegments(): MiddlewareHandler {
  return async (c, next) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const raw = incoming?.url ?? new URL(c.req.url).pathname;
    const path = raw.split('?')[0] ?? '';
    if (path.split('/').some((segment) => DOT_SEGMENT.test(segment))) {
      throw new ApiError('bad_request', 'paths must not contain "." or ".." segments');
    }
    await next();
  };
}
