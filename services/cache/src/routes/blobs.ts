import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError, isBundleDigest } from '@sparkwing/contracts';
import { type Context, Hono } from 'hono';
import { assertAccess, type AuthVariables } from '../auth.js';
import type { CacheDeps } from '../deps.js';
import type { HitStore } from '../metrics.js';
import { bodyStream, fileBody, touch, writeAtomic } from '../store/atomic.js';
import { artifactPathOrThrow, blobKeyOrThrow, runIdOrThrow } from '../store/keys.js';

/** Streams a stored file (404 when missing), counting the hit or miss and refreshing its LRU position. */
async function serveFile(
  c: Context,
  deps: CacheDeps,
  store: HitStore,
  path: string,
  what: string,
): Promise<Response> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) {
    deps.metrics.miss(store);
    throw new ApiError('not_found', `${what} not found`);
  }
  deps.metrics.hit(store);
  touch(path);
  const headers = { 'content-type': 'application/octet-stream', 'content-length': String(info.size) };
  if (c.req.method === 'HEAD') return new Response(null, { headers });
  return new Response(fileBody(path), { headers });
}

/**
 * Compiled pipelines are content-addressed: the key must be `sha256-<hex>` and is checked against the body
 * while it streams, so no token can place code under a key other code is executed by.
 */
function binKeyOrThrow(key: string): string {
  if (!isBundleDigest(key)) {
    throw new ApiError(
      'bad_request',
      'compiled pipeline keys are the content digest: sha256-<64 lowercase hex>',
    );
  }
  return key;
}

async function storeBody(c: Context, deps: CacheDeps, target: string, sha256?: string): Promise<number> {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > deps.blobMaxBytes) {
    throw new ApiError('payload_too_large', `body is ${declared} bytes; the limit is ${deps.blobMaxBytes}`);
  }
  const size = await writeAtomic(bodyStream(c.req.raw.body), target, {
    tmpDir: deps.layout.tmp,
    maxBytes: deps.blobMaxBytes,
    sha256,
  });
  deps.evictor.schedule();
  return size;
}

async function listFiles(
  root: string,
  rel = '',
): Promise<{ path: string; size: number; modified_at: string }[]> {
  const entries = await readdir(join(root, rel), { withFileTypes: true }).catch(() => []);
  const out: { path: string; size: number; modified_at: string }[] = [];
  for (const entry of entries) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(root, path)));
    else if (entry.isFile()) {
      const info = await stat(join(root, path));
      out.push({ path, size: info.size, modified_at: info.mtime.toISOString() });
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** The part of the raw URL path after `prefix`, still percent-decoded segment by segment. */
function rawTail(c: Context, prefix: string): string {
  const pathname = new URL(c.req.url).pathname;
  const tail = pathname.slice(prefix.length);
  try {
    return tail
      .split('/')
      .map((segment) => decodeURIComponent(segment))
      .join('/');
  } catch {
    throw new ApiError('bad_request', 'path is not valid percent-encoding');
  }
}

/** `/bin/{key}` (content-addressed) and `/cache/{key}` (GET, HEAD, PUT) and `/artifacts/{runID}[/{path}]`. */
export function blobRoutes(deps: CacheDeps) {
  const auth = deps.auth.middleware();
  const app = new Hono<{ Variables: AuthVariables }>()
    .use('/bin/*', auth)
    .use('/cache/*', auth)
    .use('/artifacts/*', auth);
  for (const store of ['bin', 'cache'] as const) {
    const dir = deps.layout.dir(store);
    app.on(['GET', 'HEAD'], `/${store}/:key`, (c) => {
      assertAccess(c.get('caller'), `${store}Read`);
      return serveFile(c, deps, store, join(dir, blobKeyOrThrow(c.req.param('key'))), `${store} entry`);
    });
    app.put(`/${store}/:key`, async (c) => {
      assertAccess(c.get('caller'), `${store}Write`);
      const key = blobKeyOrThrow(c.req.param('key'));
      const digest = store === 'bin' ? binKeyOrThrow(key).slice('sha256-'.length) : undefined;
      const size = await storeBody(c, deps, join(dir, key), digest);
      return c.json({ key, size }, 201);
    });
  }
  const artifacts = deps.layout.dir('artifacts');
  app.get('/artifacts/:runID', async (c) => {
    const runId = runIdOrThrow(c.req.param('runID'));
    assertAccess(c.get('caller'), 'artifactRead', runId);
    return c.json({ run_id: runId, artifacts: await listFiles(join(artifacts, runId)) });
  });
  app.on(['GET', 'HEAD'], '/artifacts/:runID/*', (c) => {
    const runId = runIdOrThrow(c.req.param('runID'));
    assertAccess(c.get('caller'), 'artifactRead', runId);
    const path = artifactPathOrThrow(rawTail(c, `/artifacts/${c.req.param('runID')}/`));
    return serveFile(c, deps, 'artifacts', join(artifacts, runId, path), `artifact ${path}`);
  });
  app.put('/artifacts/:runID/*', async (c) => {
    const runId = runIdOrThrow(c.req.param('runID'));
    assertAccess(c.get('caller'), 'artifactWrite', runId);
    const path = artifactPathOrThrow(rawTail(c, `/artifacts/${c.req.param('runID')}/`));
    const size = await storeBody(c, deps, join(artifacts, runId, path));
    return c.json({ run_id: runId, path, size }, 201);
  });
  return app;
}
