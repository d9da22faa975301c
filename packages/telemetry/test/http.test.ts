import { ApiError } from '@sparkwing/contracts';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  errorHandler,
  notFoundHandler,
  observeRequests,
  type RequestIdVariables,
  readJson,
} from '../src/http.js';
import { createLogger } from '../src/logger.js';
import { createServiceRegistry } from '../src/registry.js';

function buildApp() {
  const lines: string[] = [];
  const logger = createLogger({ service: 'test', write: (line) => lines.push(line) });
  const { registry, http } = createServiceRegistry('test');
  const app = new Hono<{ Variables: RequestIdVariables }>();
  app.use('*', async (c, next) => {
    c.set('requestId', 'req-1');
    await next();
  });
  app.use('*', observeRequests({ service: 'test', metrics: http, logger }));
  app.onError(errorHandler(logger));
  app.notFound(notFoundHandler);
  app.get('/items/:id', (c) => c.json({ id: c.req.param('id') }));
  app.post('/items', async (c) => c.json(await readJson(c, z.strictObject({ name: z.string() }), 64)));
  app.get('/boom', () => {
    throw new ApiError('conflict', 'already there');
  });
  return { app, registry, lines };
}

describe('http middleware', () => {
  it('labels metrics with the route template and logs one line per request', async () => {
    const { app, registry, lines } = buildApp();
    await app.request('/items/abc');
    await app.request('/items/def');
    const text = await registry.metrics();
    expect(text).toContain(
      'sparkwing_http_requests_total{route="/items/:id",method="GET",status="200",service="test"} 2',
    );
    expect(text).not.toContain('abc');
    const log = JSON.parse(lines[0]!);
    expect(log).toMatchObject({
      level: 'info',
      msg: 'request',
      route: '/items/:id',
      status: 200,
      request_id: 'req-1',
    });
  });

  it('answers every error with the envelope', async () => {
    const { app } = buildApp();
    const conflict = await app.request('/boom');
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({
      error: { code: 'conflict', message: 'already there', request_id: 'req-1' },
    });

    const unknown = await app.request('/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'a', extra: 1 }),
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(/extra/);

    const badJson = await app.request('/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(badJson.status).toBe(400);

    // A JSON body a cross-site form could send (text/plain) is refused before it is parsed.
    const plain = await app.request('/items', { method: 'POST', body: JSON.stringify({ name: 'a' }) });
    expect(plain.status).toBe(415);
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');

    const big = await app.request('/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(100) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');

    const missing = await app.request('/nothing');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});
