import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError, type ProxyRegistry, type ProxyResult } from '@sparkwing/contracts';
import type { Logger } from '@sparkwing/telemetry';
import type { CacheMetrics } from '../metrics.js';
import { tempPath, touch, fileBody } from '../store/atomic.js';
import type { Layout } from '../store/layout.js';
import {
  isImmutable,
  PYPI_FILES_PREFIX,
  rewriteNpmPackument,
  rewritePypiLinks,
  upstreamUrl,
} from './registries.js';

interface EntryMeta {
  path: string;
  status: number;
  content_type: string;
  fetched_at: number;
}

type FetchOutcome =
  | { kind: 'stored' }
  | { kind: 'passthrough'; status: number; contentType: string; body: Buffer };

class UpstreamError extends Error {}

export interface ProxyOptions {
  layout: Layout;
  metrics: CacheMetrics;
  logger: Logger;
  upstreams: Record<ProxyRegistry, string>;
  /** Where PyPI keeps the files its simple pages link to (served under `/proxy/pypi/files/`). */
  pypiFilesUpstream: string;
  metadataTtlMs: number;
  fetch?: typeof fetch;
  now?: () => number;
}

export interface ProxyRequest {
  registry: ProxyRegistry;
  /** Raw path after `/proxy/<registry>`, starting with `/`. */
  path: string;
  /** Raw query string including `?`, or ''. */
  search: string;
  head: boolean;
  /** `http://host:port` the client used: rewritten npm tarball URLs point back at it. */
  origin: string;
}

export type PackageProxy = ReturnType<typeof createPackageProxy>;

/** Caching reverse proxy: HIT/MISS/STALE, one upstream request per key at a time, stale on upstream errors. */
export function createPackageProxy(options: ProxyOptions) {
  const { layout, metrics, logger } = options;
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const inflight = new Map<string, Promise<FetchOutcome>>();

  const files = (registry: ProxyRegistry, key: string) => {
    const dir = join(layout.dir('proxy'), registry, key.slice(0, 2));
    return { body: join(dir, `${key}.body`), meta: join(dir, `${key}.json`) };
  };

  async function readMeta(path: string): Promise<EntryMeta | null> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as EntryMeta;
    } catch {
      return null;
    }
  }

  async function fetchUpstream(
    request: ProxyRequest,
    target: { body: string; meta: string },
  ): Promise<FetchOutcome> {
    const url = `${upstreamUrl(request.registry, request.path, options.upstreams, options.pypiFilesUpstream)}${request.search}`;
    const started = performance.now();
    let response: Response;
    try {
      response = await doFetch(url, {
        headers: {
          accept: request.registry === 'npm' ? 'application/json' : '*/*',
          'user-agent': 'sparkwing-cache',
        },
        redirect: 'follow',
        signal: AbortSignal.timeout(5 * 60_000),
      });
    } catch (error) {
      throw new UpstreamError(`upstream unreachable: ${(error as Error).message}`);
    } finally {
      metrics.proxyUpstreamDuration.observe(
        { registry: request.registry },
        (performance.now() - started) / 1_000,
      );
    }
    if (response.status >= 500 || response.status === 429) {
      await response.body?.cancel();
      throw new UpstreamError(`upstream answered ${response.status}`);
    }
    const contentType = response.headers.get('content-type') ?? 'application/octet-stream';
    if (response.status !== 200) {
      const body = Buffer.from(await response.arrayBuffer()).subarray(0, 64 * 1024);
      return { kind: 'passthrough', status: response.status, contentType, body };
    }
    await mkdir(layout.tmp, { recursive: true });
    const temp = tempPath(layout.tmp, 'proxy');
    try {
      await pipeline(
        Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
        createWriteStream(temp),
      );
      await mkdir(dirname(target.body), { recursive: true });
      await rename(temp, target.body);
    } catch (error) {
      await rm(temp, { force: true });
      throw new UpstreamError(`upstream body failed: ${(error as Error).message}`);
    }
    const meta: EntryMeta = {
      path: request.path + request.search,
      status: 200,
      content_type: contentType,
      fetched_at: now(),
    };
    await writeFile(target.meta, JSON.stringify(meta));
    return { kind: 'stored' };
  }

  async function serveStored(
    request: ProxyRequest,
    target: { body: string; meta: string },
    meta: EntryMeta,
    result: ProxyResult,
  ): Promise<Response> {
    metrics.proxy(request.registry, result);
    const headers: Record<string, string> = {
      'content-type': meta.content_type,
      'x-cache': result.toUpperCase(),
    };
    const immutable = isImmutable(request.registry, request.path);
    headers['cache-control'] = immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=60';
    if (request.registry === 'npm' && !immutable && meta.content_type.includes('json')) {
      const body = rewriteNpmPackument(
        await readFile(target.body),
        options.upstreams.npm,
        `${request.origin}/proxy/npm`,
      );
      headers['content-length'] = String(body.length);
      return new Response(request.head ? null : body, { status: 200, headers });
    }
    if (request.registry === 'pypi' && !immutable && /html|json/.test(meta.content_type)) {
      const body = rewritePypiLinks(
        await readFile(target.body),
        options.pypiFilesUpstream,
        `${request.origin}/proxy/pypi${PYPI_FILES_PREFIX}`,
      );
      headers['content-length'] = String(body.length);
      return new Response(request.head ? null : body, { status: 200, headers });
    }
    const size = (await stat(target.body)).size;
    headers['content-length'] = String(size);
    if (request.head) return new Response(null, { status: 200, headers });
    return new Response(fileBody(target.body), {
      status: 200,
      headers,
    });
  }

  return {
    async handle(request: ProxyRequest): Promise<Response> {
      const key = createHash('sha256').update(`${request.path}${request.search}`).digest('hex');
      const target = files(request.registry, key);
      const meta = await readMeta(target.meta);
      const bodyThere = meta ? await stat(target.body).catch(() => null) : null;
      const usable = meta && bodyThere ? meta : null;
      const fresh =
        usable &&
        (isImmutable(request.registry, request.path) || now() - usable.fetched_at < options.metadataTtlMs);
      if (usable && fresh) {
        touch(target.body);
        touch(target.meta);
        return serveStored(request, target, usable, 'hit');
      }
      const flightKey = `${request.registry}:${key}`;
      let flight = inflight.get(flightKey);
      if (!flight) {
        flight = fetchUpstream(request, target).finally(() => inflight.delete(flightKey));
        inflight.set(flightKey, flight);
      }
      let outcome: FetchOutcome;
      try {
        outcome = await flight;
      } catch (error) {
        if (!(error instanceof UpstreamError)) throw error;
        if (usable) {
          logger.warn('proxy serving stale entry', { registry: request.registry, error: error.message });
          return serveStored(request, target, usable, 'stale');
        }
        metrics.proxy(request.registry, 'error');
        throw new ApiError('bad_gateway', `${request.registry}: ${error.message}`);
      }
      if (outcome.kind === 'passthrough') {
        metrics.proxy(request.registry, 'miss');
        return new Response(request.head ? null : outcome.body, {
          status: outcome.status,
          headers: { 'content-type': outcome.contentType, 'x-cache': 'MISS' },
        });
      }
      const stored = await readMeta(target.meta);
      return serveStored(request, target, stored!, 'miss');
    },
  };
}
