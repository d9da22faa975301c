import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { ApiError } from '@sparkwing/contracts';
import { Hono } from 'hono';
import type { WebDeps } from '../deps.js';
import { STATIC_KINDS } from '../metrics.js';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** The browser app's page URLs (kept in step with app/src/app.tsx), each its own route template. */
const PAGE_ROUTES = [
  '/',
  '/sign-in',
  '/pipelines',
  '/runners',
  '/queue',
  '/runs/:id',
  '/runs/:id/nodes/:node',
] as const;

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

/** Hashed bundle files under `/assets/` (cached forever) and the HTML shell for every page URL. */
export function staticRoutes(deps: WebDeps) {
  let shell: Promise<string> | null = null;
  const loadShell = () => {
    shell ??= readFile(join(deps.staticDir, 'index.html'), 'utf8').catch((error) => {
      shell = null;
      throw error;
    });
    return shell;
  };
  const routes = new Hono()
    .get('/assets/*', async (c) => {
      const relative = normalize(c.req.path.slice(1));
      const file = join(deps.staticDir, relative);
      if (relative.startsWith('..') || !file.startsWith(deps.staticDir + sep)) return notFound(deps);
      try {
        const bytes = await readFile(file);
        deps.metrics.staticRequests.inc({ kind: STATIC_KINDS.asset, status: '200' });
        return new Response(new Uint8Array(bytes), {
          headers: {
            'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
            'cache-control': 'public, max-age=31536000, immutable',
            'x-content-type-options': 'nosniff',
          },
        });
      } catch {
        return notFound(deps);
      }
    })
    .get('/favicon.svg', async () => {
      try {
        const bytes = await readFile(join(deps.staticDir, 'favicon.svg'));
        deps.metrics.staticRequests.inc({ kind: STATIC_KINDS.asset, status: '200' });
        return new Response(new Uint8Array(bytes), {
          headers: { 'content-type': TYPES['.svg']!, 'cache-control': 'public, max-age=86400' },
        });
      } catch {
        return notFound(deps);
      }
    })
    .on('GET', [...PAGE_ROUTES], () => page(200))
    .get('*', (c) => {
      if (c.req.path.startsWith('/api/')) {
        return c.json(
          {
            error: {
              code: 'not_found',
              message: `no route for GET ${c.req.path}`,
              request_id: c.get('requestId' as never),
            },
          },
          404,
        );
      }
      // Unknown URLs still get the app (it renders "page not found"), with an honest status.
      return page(404);
    });
  return routes;

  async function page(status: 200 | 404): Promise<Response> {
    try {
      const html = await loadShell();
      deps.metrics.staticRequests.inc({ kind: STATIC_KINDS.page, status: String(status) });
      return new Response(html, { status, headers: PAGE_HEADERS });
    } catch {
      deps.metrics.staticRequests.inc({ kind: STATIC_KINDS.page, status: '503' });
      return new Response('The dashboard assets are not built: run `pnpm --filter @sparkwing/web build`.', {
        status: 503,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    }
  }
}

/** A missing asset: counted, then answered with the error envelope like every other 404. */
function notFound(deps: WebDeps): never {
  deps.metrics.staticRequests.inc({ kind: STATIC_KINDS.asset, status: '404' });
  throw new ApiError('not_found', 'no such asset');
}
