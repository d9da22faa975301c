export { createApp, type CacheApp } from './app.js';
export { type CacheConfig, configSchema } from './config.js';
export type { CacheDeps } from './deps.js';
export { type CacheMetrics, createCacheMetrics } from './metrics.js';
export {
  type CacheService,
  type CacheServiceOptions,
  createCacheService,
  DEFAULT_UPSTREAMS,
} from './service.js';
export { serviceOptionsFromConfig } from './options.js';
