import { stat } from 'node:fs/promises';
import { ApiError, negotiateRequestSchema, UPLOAD_REF_RE, uploadQuerySchema } from '@sparkwing/contracts';
import { readJson, readQuery } from '@sparkwing/telemetry';
import { Hono } from 'hono';
import { allow, type AuthVariables } from '../auth.js';
import type { CacheDeps } from '../deps.js';
import { bodyStream, touch, fileBody } from '../store/atomic.js';

/** `POST /sync/negotiate`, `POST /upload`, `GET /uploads/{ref}`. */
export function uploadRoutes(deps: CacheDeps) {
  const auth = deps.auth.middleware();
  return new Hono<{ Variables: AuthVariables }>()
    .use('/sync/*', auth, allow('uploadWrite'))
    .use('/upload', auth, allow('uploadWrite'))
    .use('/uploads/*', auth, allow('uploadRead'))
    .post('/sync/negotiate', async (c) => {
      const body = await readJson(c, negotiateRequestSchema, 256 * 1024);
      const { name } = await deps.mirrors.resolve(body.repo);
      return c.json({ commit: await deps.mirrors.firstKnown(name, body.commits) });
    })
    .post('/upload', async (c) => {
      const query = readQuery(c, uploadQuerySchema);
      const declared = Number(c.req.header('content-length') ?? '0');
      if (declared > deps.uploads.maxBytes) {
        throw new ApiError(
          'payload_too_large',
          `upload is ${declared} bytes; the limit is ${deps.uploads.maxBytes}`,
        );
      }
      const result = await deps.uploads.ingest(bodyStream(c.req.raw.body), query);
      deps.evictor.schedule();
      return c.json(result, 201);
    })
    .get('/uploads/:ref', async (c) => {
      const ref = c.req.param('ref');
      if (!UPLOAD_REF_RE.test(ref)) throw new ApiError('bad_request', 'upload refs look like up_<64 hex>');
      const path = deps.uploads.pathOf(ref);
      const info = await stat(path).catch(() => null);
      if (!info) {
        deps.metrics.miss('uploads');
        throw new ApiError('not_found', `upload ${ref} not found (never uploaded, or evicted)`);
      }
      deps.metrics.hit('uploads');
      touch(path);
      return new Response(fileBody(path), {
        headers: { 'content-type': 'application/gzip', 'content-length': String(info.size) },
      });
    });
}
