import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CACHE_STORES, type CacheStore } from '@sparkwing/contracts';
import type { Logger } from '@sparkwing/telemetry';
import type { CacheMetrics } from '../metrics.js';
import type { Layout } from './layout.js';

interface Entry {
  store: CacheStore;
  path: string;
  /** Files removed together (a proxy body and its metadata). */
  companions: string[];
  size: number;
  mtimeMs: number;
}

/** Stores eviction may shrink; mirrors are registrations, not cache entries, and are never evicted. */
const EVICTABLE: readonly CacheStore[] = ['uploads', 'archives', 'bin', 'cache', 'artifacts', 'proxy'];

export interface EvictorOptions {
  layout: Layout;
  metrics: CacheMetrics;
  logger: Logger;
  maxBytes: number;
  /** Uploads modified (written or read) more recently than this are kept whatever the budget. */
  uploadProtectMs: number;
  /** Upload refs named by queued or running runs; null when unknown (then uploads are not evicted at all). */
  protectedUploads?: () => Promise<Set<string> | null>;
  now?: () => number;
}

async function walk(dir: string, out: { path: string; size: number; mtimeMs: number }[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, out);
    else if (entry.isFile()) {
      const info = await stat(full).catch(() => null);
      if (info) out.push({ path: full, size: info.size, mtimeMs: info.mtimeMs });
    }
  }
}

export type Evictor = ReturnType<typeof createEvictor>;

/** Accounts bytes per store and removes least-recently-used entries while the total exceeds the budget. */
export function createEvictor(options: EvictorOptions) {
  const { layout, metrics, logger } = options;
  const now = options.now ?? Date.now;
  let running: Promise<{ total: number; evicted: number }> | null = null;
  let debounce: NodeJS.Timeout | null = null;
  let timer: NodeJS.Timeout | null = null;
  let lastTotal = 0;

  async function scan(): Promise<{ entries: Entry[]; totals: Record<CacheStore, number> }> {
    const totals = Object.fromEntries(CACHE_STORES.map((store) => [store, 0])) as Record<CacheStore, number>;
    const entries: Entry[] = [];
    for (const store of CACHE_STORES) {
      const files: { path: string; size: number; mtimeMs: number }[] = [];
      await walk(layout.dir(store), files);
      for (const file of files) totals[store] += file.size;
      if (!EVICTABLE.includes(store)) continue;
      if (store === 'proxy') {
        const metas = new Map(files.filter((f) => f.path.endsWith('.json')).map((f) => [f.path, f]));
        for (const file of files.filter((f) => f.path.endsWith('.body'))) {
          const meta = metas.get(file.path.replace(/\.body$/, '.json'));
          entries.push({
            store,
            path: file.path,
            companions: meta ? [meta.path] : [],
            size: file.size + (meta?.size ?? 0),
            mtimeMs: file.mtimeMs,
          });
        }
      } else {
        for (const file of files)
          entries.push({ store, path: file.path, companions: [], size: file.size, mtimeMs: file.mtimeMs });
      }
    }
    return { entries, totals };
  }

  async function run(): Promise<{ total: number; evicted: number }> {
    const { entries, totals } = await scan();
    let total = Object.values(totals).reduce((sum, value) => sum + value, 0);
    let evicted = 0;
    if (total > options.maxBytes) {
      const keep = options.protectedUploads
        ? await options.protectedUploads().catch(() => null)
        : new Set<string>();
      const candidates = entries
        .filter((entry) => {
          if (entry.store !== 'uploads') return true;
          if (!keep) return false;
          if (now() - entry.mtimeMs < options.uploadProtectMs) return false;
          const ref = entry.path
            .split('/')
            .at(-1)!
            .replace(/\.tar\.gz$/, '');
          return !keep.has(ref);
        })
        .sort((a, b) => a.mtimeMs - b.mtimeMs);
      for (const entry of candidates) {
        if (total <= options.maxBytes) break;
        await rm(entry.path, { force: true });
        for (const companion of entry.companions) await rm(companion, { force: true });
        total -= entry.size;
        totals[entry.store] -= entry.size;
        evicted += 1;
        metrics.evictions.inc({ store: entry.store });
      }
      if (evicted > 0)
        logger.info('evicted cache entries', { evicted, total_bytes: total, max_bytes: options.maxBytes });
    }
    for (const store of CACHE_STORES) metrics.setBytes(store, totals[store]);
    lastTotal = total;
    return { total, evicted };
  }

  return {
    /** One accounting + eviction pass (concurrent callers share it). */
    run(): Promise<{ total: number; evicted: number }> {
      running ??= run().finally(() => {
        running = null;
      });
      return running;
    },
    /** Asks for a pass soon after a write, coalescing bursts. */
    schedule(): void {
      if (debounce) return;
      debounce = setTimeout(() => {
        debounce = null;
        this.run().catch((error: Error) => logger.error('eviction failed', { error }));
      }, 500);
      debounce.unref();
    },
    start(periodMs: number): void {
      if (timer) return;
      timer = setInterval(() => this.schedule(), periodMs);
      timer.unref();
      this.schedule();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      if (debounce) clearTimeout(debounce);
      timer = null;
      debounce = null;
      await running?.catch(() => undefined);
    },
    totalBytes: () => lastTotal,
  };
}
