import { ApiError } from '@sparkwing/contracts';
import { readBodyBytes } from '@sparkwing/telemetry';
import type { Context } from 'hono';
import type { WebDeps } from '../deps.js';
import type { UpstreamName } from '../metrics.js';
import type { Viewer } from '../session/viewer.js';

const FORWARDED_REQUEST_HEADERS = ['accept', 'content-type', 'last-event-id'] as const;
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'cache-control', 'x-request-id', 'retry-after'] as const;
/** Largest body the dashboard relays (and the largest it takes at all). */
export const MAX_PROXY_BODY = 64 * 1024;

/**
 * Relays one request to an upstream with the viewer's own token, so upstream scope checks apply to the
 * person. Event streams are passed through unbuffered; the client hanging up cancels the upstream read.
 */
export async function forward(
  c: Context,
  deps: WebDeps,
  upstream: UpstreamName,
  viewer: Viewer,
): Promise<Response> {
  const target = deps[upstream];
  const url = new URL(c.req.url);
  const headers = new Headers({ authorization: `Bearer ${viewer.token}` });
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = c.req.header(name);
    if (value !== undefined) headers.set(name, value);
  }
  const requestId = c.get('requestId' as never) as string | undefined;
  if (requestId) headers.set('x-request-id', requestId);
  const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD';
  const body = hasBody ? await readBodyBytes(c, MAX_PROXY_BODY) : undefined;

  const started = performance.now();
  let response: Response;
  try {
    response = await target.fetch(`${target.baseUrl}${url.pathname}${url.search}`, {
      method: c.req.method,
      headers,
      body: body && body.byteLength > 0 ? new Uint8Array(body) : undefined,
      signal: c.req.raw.signal,
    });
  } catch (error) {
    deps.metrics.proxyRequests.inc({ upstream, status: '0' });
    deps.metrics.proxyDuration.observe({ upstream, status: '0' }, (performance.now() - started) / 1_000);
    deps.logger.warn('upstream unreachable', { upstream, error: (error as Error).message });
    throw new ApiError('bad_gateway', `the ${upstream} service could not be reached`);
  }
  const status = String(response.status);
  deps.metrics.proxyRequests.inc({ upstream, status });
  deps.metrics.proxyDuration.observe({ upstream, status }, (performance.now() - started) / 1_000);

  const outHeaders = new Headers();
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) outHeaders.set(name, value);
  }
  const isStream = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
  if (!isStream || !response.body)
    return new Response(response.body, { status: response.status, headers: outHeaders });

  outHeaders.set('cache-control', 'no-cache, no-transform');
  outHeaders.set('x-accel-buffering', 'no');
  return new Response(
    countStream(
      response.body,
      () => deps.metrics.activeSse.dec({ upstream }),
      () => deps.metrics.activeSse.inc({ upstream }),
    ),
    {
      status: response.status,
      headers: outHeaders,
    },
  );
}

/** Wraps an upstream body so the active-stream gauge goes down exactly once, however the stream ends. */
function countStream(
  body: ReadableStream<Uint8Array>,
  onEnd: () => void,
  onStart: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let open = true;
  const finish = () => {
    if (!open) return;
    open = false;
    onEnd();
  };
  onStart();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          finish();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        finish();
        controller.error(error);
      }
    },
    async cancel(reason) {
      finish();
      await reader.cancel(reason).catch(() => undefined);
    },
  });
}
