import { randomUUID } from 'node:crypto';
import { type Attributes, context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ApiError, describeZodError, type ErrorCode } from '@sparkwing/contracts';
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import type { z } from 'zod';
import { CICD } from './cicd.js';
import type { Logger } from './logger.js';
import { runTraceContext, tracingActive } from './otel.js';
import type { HttpMetrics } from './registry.js';
import { runFromPath } from './run-path.js';

export type RequestIdVariables = { requestId: string };

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

/** Honours a sane incoming `X-Request-Id`, otherwise makes one; echoes it on the response. */
export function requestId(): MiddlewareHandler<{ Variables: RequestIdVariables }> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const id = incoming && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  };
}

/** The matched route template (`/api/v1/runs/:id`), or `unmatched` so raw paths never become labels. */
export function routeTemplate(c: Context): string {
  const path = routePath(c);
  return !path || path === '/*' || path === '*' ? 'unmatched' : path;
}

export interface ObserveOptions {
  service: string;
  metrics: HttpMetrics;
  logger: Logger;
  /** Paths not worth a log line (health probes, scrapes). */
  quietPaths?: readonly string[];
}

/**
 * One server span (named by route template, in the run's trace when the path names a run), the two HTTP
 * metric families and one structured log line per request. Register after `requestId()` and before the
 * routes. The span is only built while a recording tracer is registered, and the log line only when the
 * logger's level lets `info` through: the per-request cost stays small on hot routes.
 */
export function observeRequests(
  options: ObserveOptions,
): MiddlewareHandler<{ Variables: RequestIdVariables }> {
  const tracer = trace.getTracer(`sparkwing-${options.service}`);
  const quiet = new Set(
    options.quietPaths ?? ['/health', '/api/v1/health', '/metrics', '/healthz', '/api/health'],
  );
  const logRequests = options.logger.enabled?.('info') ?? true;
  const record = (c: Context, started: number, span?: Span) => {
    const route = routeTemplate(c);
    const status = c.res.status;
    const seconds = (performance.now() - started) / 1_000;
    if (span) {
      span.updateName(`${c.req.method} ${route}`);
      span.setAttributes({
        'http.request.method': c.req.method,
        'http.route': route,
        'http.response.status_code': status,
        'url.path': c.req.path,
      });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    options.metrics.requests.inc({ route, method: c.req.method, status: String(status) });
    options.metrics.duration.observe({ route, method: c.req.method }, seconds);
    if (logRequests && !quiet.has(c.req.path)) {
      options.logger.info('request', {
        request_id: c.get('requestId'),
        method: c.req.method,
        route,
        path: c.req.path,
        status,
        duration_ms: Math.round(seconds * 1_000 * 100) / 100,
      });
    }
    span?.end();
  };
  return async (c, next) => {
    const started = performance.now();
    if (!tracingActive()) {
      try {
        await next();
      } finally {
        record(c, started);
      }
      return;
    }
    // Requests about a run (its nodes, logs, artifacts) join the run's trace; the rest get their own.
    const run = runFromPath(c.req.path);
    const parent = run ? runTraceContext(run.runId, context.active()) : context.active();
    const attributes: Attributes = {};
    if (run) attributes[CICD.pipelineRunId] = run.runId;
    if (run?.nodeId) attributes[CICD.taskName] = run.nodeId;
    await tracer.startActiveSpan(
      `${c.req.method}`,
      { kind: SpanKind.SERVER, attributes },
      parent,
      async (span) => {
        try {
          await next();
        } finally {
          record(c, started, span);
        }
      },
    );
  };
}

export function errorBody(c: Context, code: ErrorCode | string, message: string, details?: unknown) {
  const request_id = (c.get('requestId' as never) as string | undefined) ?? 'unknown';
  return { error: { code, message, request_id, ...(details === undefined ? {} : { details }) } };
}

/** The one `onError`: ApiError → its envelope, HTTPException → mapped envelope, anything else → 500. */
export function errorHandler(logger: Logger): ErrorHandler {
  return (err, c) => {
    if (err instanceof ApiError) {
      return c.json(errorBody(c, err.code, err.message, err.details), err.status as 400);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code: ErrorCode =
        status === 413
          ? 'payload_too_large'
          : status === 401
            ? 'unauthorized'
            : status === 404
              ? 'not_found'
              : 'bad_request';
      return c.json(errorBody(c, code, err.message || code), status);
    }
    logger.error('unhandled error', { error: err, stack: err.stack, path: c.req.path });
    return c.json(errorBody(c, 'internal', 'internal server error'), 500);
  };
}

export const notFoundHandler: NotFoundHandler = (c) =>
  c.json(errorBody(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`), 404);

/** Default cap for JSON bodies (1 MiB); routes pass a smaller or larger one when it matters. */
export const DEFAULT_JSON_LIMIT = 1024 * 1024;

/**
 * Past a limit, up to this much more of the body is read and dropped before answering 413: closing a socket
 * with unread bytes can reset the connection before the client reads the answer. Nothing past the limit is
 * kept, so memory stays bounded whatever the client sends.
 */
const DISCARD_BYTES = 1024 * 1024;

function tooLarge(maxBytes: number, size?: number): ApiError {
  return new ApiError(
    'payload_too_large',
    size === undefined
      ? `body is larger than the limit of ${maxBytes} bytes`
      : `body is ${size} bytes; the limit is ${maxBytes}`,
  );
}

/**
 * Reads the raw body as bytes, refusing more than `maxBytes`: by Content-Length before reading, and while
 * streaming (chunked bodies), so an oversized body never sits in memory.
 */
export async function readBodyBytes(c: Context, maxBytes: number): Promise<Buffer> {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > maxBytes) throw tooLarge(maxBytes, declared);
  const body = c.req.raw.body;
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes + DISCARD_BYTES) throw tooLarge(maxBytes);
      if (size <= maxBytes) chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  if (size > maxBytes) throw tooLarge(maxBytes, size);
  return Buffer.concat(chunks, size);
}

/**
 * First in the stack: refuses a declared body over the largest any route of the service takes with 413
 * before authentication or routing does any work (chunked bodies are capped by `readBodyBytes` per route).
 */
export function declaredBodyLimit(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared !== undefined && !/^\d{1,15}$/.test(declared))
      throw new ApiError('bad_request', 'Content-Length is not a number');
    if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes, Number(declared));
    await next();
  };
}

/**
 * An error answered before the request body was read (401, 413, 400) leaves unread bytes on the socket; a
 * client reusing that keep-alive connection would fail, and draining them costs the server. Close it instead.
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

/**
 * A JSON body sent as `text/plain` or a form is what a cross-site page can post without a CORS preflight:
 * refuse any declared type that is not JSON (415). No type at all is accepted (non-browser clients).
 */
export function assertJsonContentType(c: Context): void {
  const type = c.req.header('content-type');
  if (type === undefined) return;
  const media = type.split(';')[0]!.trim().toLowerCase();
  if (media === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(media)) return;
  throw new ApiError('unsupported_media_type', `send JSON as Content-Type: application/json, not "${media}"`);
}

/** Parses and validates a JSON body: 413 over the limit, 400 on bad JSON or schema (unknown fields included). */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  maxBytes: number = DEFAULT_JSON_LIMIT,
): Promise<z.infer<S>> {
  assertJsonContentType(c);
  const bytes = await readBodyBytes(c, maxBytes);
  let value: unknown;
  try {
    value = bytes.byteLength === 0 ? {} : JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ApiError('bad_request', `body is not valid JSON: ${(error as Error).message}`);
  }
  return parseWith(schema, value, 'body');
}

/** Validates query parameters against a schema; 400 naming the bad parameters. */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  return parseWith(schema, c.req.query(), 'query');
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new ApiError('validation_failed', `invalid ${where}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}
