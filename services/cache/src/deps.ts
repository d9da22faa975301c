import type { BearerAuthenticator, Logger } from '@sparkwing/telemetry';
import type { Archives } from './git/archive.js';
import type { MirrorUrlPolicy } from './git/mirror-urls.js';
import type { Mirrors } from './git/mirrors.js';
import type { CacheMetrics } from './metrics.js';
import type { PackageProxy } from './proxy/proxy.js';
import type { Evictor } from './store/eviction.js';
import type { Layout } from './store/layout.js';
import type { Uploads } from './uploads/store.js';

/** Everything the routes need, built once by `createCacheService`. */
export interface CacheDeps {
  layout: Layout;
  metrics: CacheMetrics;
  logger: Logger;
  auth: BearerAuthenticator;
  mirrors: Mirrors;
  /** Which URLs may be registered as mirrors. */
  mirrorUrls: MirrorUrlPolicy;
  archives: Archives;
  uploads: Uploads;
  proxy: PackageProxy;
  evictor: Evictor;
  /** Largest `/bin`, `/cache` or artifact body. */
  blobMaxBytes: number;
  version: string;
  /** `/health` reports degraded when free space on the data dir falls under this fraction. */
  minFreeFraction: number;
}
