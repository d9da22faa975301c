import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError, type MirrorInfo } from '@sparkwing/contracts';
import type { Logger } from '@sparkwing/telemetry';
import type { CacheMetrics } from '../metrics.js';
import { tempPath } from '../store/atomic.js';
import type { Layout } from '../store/layout.js';
import { gitError, runGit } from './run-git.js';

interface Registration {
  name: string;
  url: string;
  registered_at: string;
}

interface MirrorState extends Registration {
  lastFetchAt: number | null;
  lastSuccessAt: number | null;
  lastError: string | null;
  failures: number;
  nextFetchAt: number;
  /** The fetch in flight, shared by every caller (single flight per mirror). */
  inflight: Promise<void> | null;
}

const REF_RE = /^[A-Za-z0-9._/@{}^~-]{1,256}$/;
const MAX_BACKOFF_MS = 15 * 60_000;
/** A checked public URL must not redirect the cache somewhere it would have refused (SSRF). */
const NO_REDIRECTS = ['-c', 'http.followRedirects=false'] as const;

/**
 * One pack with a reachability bitmap: clones then reuse pack data verbatim instead of compressing objects per
 * request (a local `git clone --mirror` leaves loose objects; many fetches leave many small packs).
 */
async function repack(dir: string): Promise<void> {
  await runGit(['repack', '-a', '-d', '-b', '-q'], { cwd: dir, timeoutMs: 30 * 60_000 });
}

async function needsRepack(dir: string): Promise<boolean> {
  const result = await runGit(['count-objects', '-v'], { cwd: dir });
  const stats = Object.fromEntries(
    result.stdout
      .toString('utf8')
      .split('\n')
      .map((line) => line.split(': '))
      .filter((pair) => pair.length === 2)
      .map(([key, value]) => [key, Number(value)]),
  );
  return (stats.count ?? 0) > 256 || (stats.packs ?? 0) > 16;
}

export interface MirrorsOptions {
  layout: Layout;
  metrics: CacheMetrics;
  logger: Logger;
  fetchIntervalMs: number;
  now?: () => number;
}

export type Mirrors = ReturnType<typeof createMirrors>;

/** Bare mirrors under `git/<name>.git`, their registry file and the background fetch loop. */
export function createMirrors(options: MirrorsOptions) {
  const { layout, metrics, logger } = options;
  const now = options.now ?? Date.now;
  const repos = new Map<string, MirrorState>();
  let loaded = false;
  let timer: NodeJS.Timeout | null = null;
  let ticking = false;
  const registering = new Map<string, Promise<{ repo: MirrorInfo; created: boolean }>>();

  const dirOf = (name: string) => join(layout.git, `${name}.git`);
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

  const info = (state: MirrorState): MirrorInfo => ({
    name: state.name,
    url: state.url,
    registered_at: state.registered_at,
    last_fetch_at: iso(state.lastFetchAt),
    last_success_at: iso(state.lastSuccessAt),
    last_error: state.lastError,
    consecutive_failures: state.failures,
    next_fetch_at: iso(state.nextFetchAt),
  });

  async function load(): Promise<void> {
    if (loaded) return;
    loaded = true;
    await mkdir(layout.git, { recursive: true });
    const text = await readFile(layout.reposFile, 'utf8').catch(() => '[]');
    for (const entry of JSON.parse(text) as Registration[]) {
      repos.set(entry.name, fresh(entry));
    }
  }

  function fresh(entry: Registration): MirrorState {
    return {
      ...entry,
      lastFetchAt: null,
      lastSuccessAt: null,
      lastError: null,
      failures: 0,
      nextFetchAt: now(),
      inflight: null,
    };
  }

  async function save(): Promise<void> {
    const list: Registration[] = [...repos.values()].map(({ name, url, registered_at }) => ({
      name,
      url,
      registered_at,
    }));
    const temp = tempPath(layout.git, 'repos');
    await writeFile(temp, `${JSON.stringify(list, null, 2)}\n`);
    await rename(temp, layout.reposFile);
  }

  function get(name: string): MirrorState {
    const bare = name.endsWith('.git') ? name.slice(0, -4) : name;
    const state = repos.get(bare) ?? repos.get(name);
    if (!state) throw new ApiError('not_found', `no mirror named "${name}"`);
    return state;
  }

  async function doFetch(state: MirrorState): Promise<void> {
    const started = performance.now();
    state.lastFetchAt = now();
    const result = await runGit([...NO_REDIRECTS, 'fetch', '--prune', '--quiet', 'origin'], {
      cwd: dirOf(state.name),
      timeoutMs: 10 * 60_000,
    });
    metrics.fetchDuration.observe((performance.now() - started) / 1_000);
    if (result.code === 0) {
      if (await needsRepack(dirOf(state.name))) await repack(dirOf(state.name));
      state.lastSuccessAt = now();
      state.lastError = null;
      state.failures = 0;
      state.nextFetchAt = now() + options.fetchIntervalMs;
      return;
    }
    state.failures += 1;
    state.lastError = gitError(result);
    const backoff = Math.min(options.fetchIntervalMs * 2 ** state.failures, MAX_BACKOFF_MS);
    state.nextFetchAt = now() + backoff;
    logger.warn('mirror fetch failed', {
      repo: state.name,
      error: state.lastError,
      failures: state.failures,
    });
  }

  /** Fetches now; concurrent callers share one fetch. */
  function fetchNow(state: MirrorState): Promise<void> {
    state.inflight ??= doFetch(state).finally(() => {
      state.inflight = null;
    });
    return state.inflight;
  }

  async function tick(): Promise<void> {
    if (ticking) return;
    ticking = true;
    try {
      for (const state of repos.values()) {
        if (state.nextFetchAt <= now()) await fetchNow(state);
      }
    } finally {
      ticking = false;
    }
  }

  /** Which of `shas` the mirror lacks, in one `git cat-file --batch-check` (clones can want hundreds). */
  async function missingObjects(dir: string, shas: readonly string[]): Promise<string[]> {
    const result = await runGit(['cat-file', '--batch-check'], { cwd: dir, input: `${shas.join('\n')}\n` });
    const lines = result.stdout.toString('utf8').split('\n');
    return shas.filter((_, i) => lines[i]?.endsWith(' missing') ?? true);
  }

  async function revParse(dir: string, ref: string): Promise<string | null> {
    const result = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], {
      cwd: dir,
    });
    return result.code === 0 ? result.stdout.toString('utf8').trim() : null;
  }

  async function registerOnce(name: string, url: string): Promise<{ repo: MirrorInfo; created: boolean }> {
    await load();
    const existing = repos.get(name);
    if (existing) {
      if (existing.url !== url)
        throw new ApiError('conflict', `mirror "${name}" is registered with another url`);
      return { repo: info(existing), created: false };
    }
    await mkdir(layout.tmp, { recursive: true });
    const temp = tempPath(layout.tmp, `clone-${name}`);
    const started = performance.now();
    const result = await runGit([...NO_REDIRECTS, 'clone', '--mirror', '--quiet', '--', url, temp], {
      timeoutMs: 30 * 60_000,
    });
    metrics.fetchDuration.observe((performance.now() - started) / 1_000);
    if (result.code !== 0) {
      await rm(temp, { recursive: true, force: true });
      throw new ApiError('bad_gateway', `cannot clone ${name}: ${gitError(result)}`);
    }
    await runGit(['config', 'uploadpack.allowReachableSHA1InWant', 'true'], { cwd: temp });
    await repack(temp);
    await rm(dirOf(name), { recursive: true, force: true });
    await rename(temp, dirOf(name));
    const state = fresh({ name, url, registered_at: new Date(now()).toISOString() });
    state.lastFetchAt = now();
    state.lastSuccessAt = now();
    state.nextFetchAt = now() + options.fetchIntervalMs;
    repos.set(name, state);
    await save();
    logger.info('mirror registered', { repo: name });
    return { repo: info(state), created: true };
  }

  return {
    load,
    dirOf,

    /** Clones once per name: a concurrent request for the same name waits for the first one. */
    async register(name: string, url: string): Promise<{ repo: MirrorInfo; created: boolean }> {
      await load();
      const pending = registering.get(name);
      if (pending) {
        await pending.catch(() => undefined);
        const state = repos.get(name);
        if (!state)
          throw new ApiError('bad_gateway', `cannot clone ${name}: the concurrent registration failed`);
        if (state.url !== url)
          throw new ApiError('conflict', `mirror "${name}" is registered with another url`);
        return { repo: info(state), created: false };
      }
      const job = registerOnce(name, url);
      registering.set(name, job);
      try {
        return await job;
      } finally {
        registering.delete(name);
      }
    },

    async list(): Promise<MirrorInfo[]> {
      await load();
      return [...repos.values()].map(info).sort((a, b) => a.name.localeCompare(b.name));
    },

    async refresh(name: string): Promise<MirrorInfo> {
      await load();
      const state = get(name);
      await fetchNow(state);
      return info(state);
    },

    /** The mirror's canonical name and directory; 404 when unknown. Accepts `name.git` and registered URLs. */
    async resolve(nameOrUrl: string): Promise<{ name: string; dir: string }> {
      await load();
      const byUrl = [...repos.values()].find((state) => state.url === nameOrUrl);
      const state = byUrl ?? get(nameOrUrl);
      return { name: state.name, dir: dirOf(state.name) };
    },

    /** Resolves a ref or sha to a commit, fetching once when the mirror lacks it. */
    async resolveCommit(name: string, ref: string): Promise<string> {
      if (!REF_RE.test(ref) || ref.startsWith('-'))
        throw new ApiError('bad_request', `invalid ref "${ref.slice(0, 100)}"`);
      const state = get(name);
      const dir = dirOf(state.name);
      const first = await revParse(dir, ref);
      if (first) return first;
      await fetchNow(state);
      const second = await revParse(dir, ref);
      if (!second)
        throw new ApiError(
          'not_found',
          `ref "${ref}" not found in mirror "${state.name}" (fetched once to check)`,
        );
      return second;
    },

    /** Ensures every sha exists, fetching once if any is missing. Returns whether all are present. */
    async ensureCommits(name: string, shas: readonly string[]): Promise<boolean> {
      const state = get(name);
      const dir = dirOf(state.name);
      if ((await missingObjects(dir, shas)).length === 0) return true;
      await fetchNow(state);
      return (await missingObjects(dir, shas)).length === 0;
    },

    /** The first of `commits` present in the mirror (no fetch: negotiation must be fast). */
    async firstKnown(name: string, commits: readonly string[]): Promise<string | null> {
      if (commits.length === 0) return null;
      const dir = dirOf(get(name).name);
      const result = await runGit(['cat-file', '--batch-check'], {
        cwd: dir,
        input: `${commits.join('\n')}\n`,
      });
      const lines = result.stdout.toString('utf8').split('\n');
      for (let i = 0; i < commits.length; i += 1) {
        if (lines[i]?.split(' ')[1] === 'commit') return commits[i]!;
      }
      return null;
    },

    /** Mirrors whose last fetch failed: `/health` reasons. */
    failing(): string[] {
      return [...repos.values()]
        .filter((state) => state.lastError)
        .map((state) => `mirror ${state.name}: ${state.lastError}`);
    },

    start(): void {
      if (timer || options.fetchIntervalMs <= 0) return;
      const period = Math.max(250, Math.min(options.fetchIntervalMs, 5_000));
      timer = setInterval(() => {
        load()
          .then(tick)
          .catch((error: Error) => logger.error('fetch loop failed', { error }));
      }, period);
      timer.unref();
    },

    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await Promise.allSettled([...repos.values()].map((state) => state.inflight));
    },
  };
}
