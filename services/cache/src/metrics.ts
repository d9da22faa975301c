import type { CacheStore, ProxyRegistry, ProxyResult } from '@sparkwing/contracts';
import { createServiceRegistry, type ServiceRegistry } from '@sparkwing/telemetry';
import { Counter, Gauge, Histogram } from 'prom-client';

/** Stores that count hits and misses (seed 000: binary/dependency cache hits). */
export type HitStore = 'bin' | 'cache' | 'artifacts' | 'archives' | 'uploads';

export interface CacheMetrics extends ServiceRegistry {
  archivesServed: Counter;
  filesServed: Counter;
  fetchDuration: Histogram;
  hits: Counter<'store'>;
  misses: Counter<'store'>;
  proxyRequests: Counter<'registry' | 'result'>;
  proxyUpstreamDuration: Histogram<'registry'>;
  bytes: Gauge<'store'>;
  evictions: Counter<'store'>;
  hit(store: HitStore): void;
  miss(store: HitStore): void;
  proxy(registry: ProxyRegistry, result: ProxyResult): void;
  setBytes(store: CacheStore, value: number): void;
}

export function createCacheMetrics(options: { defaultMetrics?: boolean } = {}): CacheMetrics {
  const base = createServiceRegistry('cache', options);
  const registers = [base.registry];
  const metrics = {
    ...base,
    archivesServed: new Counter({
      name: 'sparkwing_gitcache_archives_served_total',
      help: 'Archive downloads served',
      registers,
    }),
    filesServed: new Counter({
      name: 'sparkwing_gitcache_files_served_total',
      help: 'Single-file downloads served',
      registers,
    }),
    fetchDuration: new Histogram({
      name: 'sparkwing_gitcache_fetch_duration_seconds',
      help: 'Mirror fetch time (background, refresh and on-demand)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    hits: new Counter({
      name: 'sparkwing_gitcache_cache_hits_total',
      help: 'Blob, archive and upload reads answered from the store',
      labelNames: ['store'],
      registers,
    }),
    misses: new Counter({
      name: 'sparkwing_gitcache_cache_misses_total',
      help: 'Blob, archive and upload reads the store could not answer (archives: built on demand)',
      labelNames: ['store'],
      registers,
    }),
    proxyRequests: new Counter({
      name: 'sparkwing_proxy_requests_total',
      help: 'Package proxy requests by registry and result (hit, miss, stale, error)',
      labelNames: ['registry', 'result'],
      registers,
    }),
    proxyUpstreamDuration: new Histogram({
      name: 'sparkwing_proxy_upstream_duration_seconds',
      help: 'Time to fetch one package proxy entry from its upstream',
      labelNames: ['registry'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    bytes: new Gauge({
      name: 'sparkwing_cache_bytes',
      help: 'Bytes on disk per store (as of the last accounting scan)',
      labelNames: ['store'],
      registers,
    }),
    evictions: new Counter({
      name: 'sparkwing_cache_evictions_total',
      help: 'Entries removed by LRU eviction per store',
      labelNames: ['store'],
      registers,
    }),
  };
  return {
    ...metrics,
    hit: (store) => metrics.hits.inc({ store }),
    miss: (store) => metrics.misses.inc({ store }),
    proxy: (registry, result) => metrics.proxyRequests.inc({ registry, result }),
    setBytes: (store, value) => metrics.bytes.set({ store }, value),
  };
}
