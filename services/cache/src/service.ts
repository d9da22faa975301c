import { ControllerClient, type FetchLike } from '@sparkwing/client';
import { PROXY_REGISTRIES, type ProxyRegistry } from '@sparkwing/contracts';
import { BearerAuthenticator, type Logger, silentLogger } from '@sparkwing/telemetry';
import { createApp } from './app.js';
import type { CacheDeps } from './deps.js';
import { createArchives } from './git/archive.js';
import { createMirrorUrlPolicy, type ResolveHost } from './git/mirror-urls.js';
import { createMirrors } from './git/mirrors.js';
import { type CacheMetrics, createCacheMetrics } from './metrics.js';
import { createPackageProxy } from './proxy/proxy.js';
import { createEvictor } from './store/eviction.js';
import { createLayout } from './store/layout.js';
import { createUploads } from './uploads/store.js';

export const DEFAULT_UPSTREAMS: Record<ProxyRegistry, string> = {
  npm: 'https://registry.npmjs.org',
  pypi: 'https://pypi.org',
  golang: 'https://proxy.golang.org',
  rubygems: 'https://rubygems.org',
  alpine: 'https://dl-cdn.alpinelinux.org/alpine',
};

export interface CacheServiceOptions {
  dataDir: string;
  logger?: Logger;
  metrics?: CacheMetrics;
  /** Controller base URL (introspection, non-terminal runs). */
  controllerUrl?: string;
  /** Talk to an in-process controller app instead of the network. */
  controllerFetch?: FetchLike;
  signingKey?: string;
  /** Token with runs.read for listing queued/running runs (eviction protection). */
  serviceToken?: string;
  /** URL / path prefixes mirrors may come from besides public https:// (SPARKWING_MIRROR_ALLOWLIST). */
  mirrorAllowlist?: readonly string[];
  /** DNS lookup for mirror URL checks (tests). */
  resolveHost?: ResolveHost;
  /** 0 disables the background loop (tests that drive refreshes themselves). */
  fetchIntervalMs?: number;
  maxBytes?: number;
  blobMaxBytes?: number;
  uploadMaxBytes?: number;
  uploadProtectMs?: number;
  metadataTtlMs?: number;
  upstreams?: Partial<Record<ProxyRegistry, string>>;
  /** File host PyPI's simple pages link to (default https://files.pythonhosted.org). */
  pypiFilesUpstream?: string;
  /** Upstream fetch of the package proxy. */
  fetch?: typeof fetch;
  version?: string;
  /** Start the fetch loop and periodic eviction now (default true); `start()` does it later otherwise. */
  autoStart?: boolean;
}

/** Upload refs named by queued or running runs, from the controller; null when it cannot say. */
function protectedUploadsFrom(controller: ControllerClient | null, logger: Logger) {
  if (!controller) return undefined;
  return async (): Promise<Set<string> | null> => {
    const refs = new Set<string>();
    try {
      for (const status of ['queued', 'running'] as const) {
        let cursor: string | undefined;
        do {
          const page = await controller.listRuns({ status, limit: 500, cursor });
          for (const run of page.runs) if (run.upload_ref) refs.add(run.upload_ref);
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
      }
      return refs;
    } catch (error) {
      logger.warn('cannot list non-terminal runs; keeping every upload this round', { error });
      return null;
    }
  };
}

/** Builds the whole cache (stores, mirrors, proxy, auth, eviction) and its Hono app. No I/O until used. */
export function createCacheService(options: CacheServiceOptions) {
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? createCacheMetrics();
  const layout = createLayout(options.dataDir);
  const fetchIntervalMs = options.fetchIntervalMs ?? 30_000;
  const introspector = options.controllerUrl
    ? new ControllerClient({ baseUrl: options.controllerUrl, fetch: options.controllerFetch })
    : null;
  const lister =
    options.controllerUrl && options.serviceToken
      ? new ControllerClient({
          baseUrl: options.controllerUrl,
          token: options.serviceToken,
          fetch: options.controllerFetch,
        })
      : null;
  const mirrors = createMirrors({ layout, metrics, logger, fetchIntervalMs });
  const evictor = createEvictor({
    layout,
    metrics,
    logger,
    maxBytes: options.maxBytes ?? 50 * 1024 ** 3,
    uploadProtectMs: options.uploadProtectMs ?? 6 * 3_600_000,
    protectedUploads: protectedUploadsFrom(lister, logger),
  });
  const upstreams = { ...DEFAULT_UPSTREAMS, ...options.upstreams };
  for (const registry of PROXY_REGISTRIES) upstreams[registry] = upstreams[registry].replace(/\/+$/, '');
  const deps: CacheDeps = {
    layout,
    metrics,
    logger,
    auth: new BearerAuthenticator({
      signingKey: options.signingKey,
      introspect: introspector ? (token) => introspector.introspect(token) : null,
      allowBasic: true,
      realm: 'sparkwing-cache',
    }),
    mirrors,
    mirrorUrls: createMirrorUrlPolicy({
      allow: options.mirrorAllowlist ?? [],
      resolve: options.resolveHost,
    }),
    archives: createArchives(layout),
    uploads: createUploads({ layout, mirrors, maxBytes: options.uploadMaxBytes ?? 1024 ** 3 }),
    proxy: createPackageProxy({
      layout,
      metrics,
      logger,
      upstreams,
      pypiFilesUpstream: options.pypiFilesUpstream ?? 'https://files.pythonhosted.org',
      metadataTtlMs: options.metadataTtlMs ?? 5 * 60_000,
      fetch: options.fetch,
    }),
    evictor,
    blobMaxBytes: options.blobMaxBytes ?? 2 * 1024 ** 3,
    version: options.version ?? '0.1.0',
    minFreeFraction: 0.05,
  };
  const app = createApp(deps);
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    mirrors.start();
    evictor.start(Math.max(fetchIntervalMs, 60_000));
  };
  if (options.autoStart ?? true) start();
  return {
    app,
    deps,
    metrics,
    mirrors,
    evictor,
    start,
    /** Stops the loops and waits for in-flight fetches and eviction. */
    async close(): Promise<void> {
      await mirrors.stop();
      await evictor.stop();
    },
  };
}
export type CacheService = ReturnType<typeof createCacheService>;
