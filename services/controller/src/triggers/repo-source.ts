import { CacheClient, ClientError } from '@sparkwing/client';
import { ApiError, isSafeId } from '@sparkwing/contracts';

export const CONFIG_PATH = '.sparkwing/sparkwing.yaml';

/** How the controller reads repositories: always through the cache's mirrors, never a clone of its own. */
export interface RepoSource {
  /** Registers the mirror on first sight (the cache clones once; later calls are cheap). */
  ensureMirror(fullName: string, cloneUrl: string): Promise<void>;
  /** `.sparkwing/sparkwing.yaml` at `ref`, or null when the commit has none. */
  readConfig(cloneUrl: string, ref: string): Promise<string | null>;
  /** Files changed on `head` since its merge base with `base`; null when that cannot be known. */
  changedFiles(cloneUrl: string, base: string, head: string): Promise<string[] | null>;
}

/** Mirror names are one safe path segment: `acme/app` → `acme--app`. */
export function mirrorName(fullName: string): string {
  const name = fullName
    .replace(/\//g, '--')
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/\.\.+/g, '.');
  if (!isSafeId(name)) throw new ApiError('bad_request', `cannot name a mirror for repository "${fullName}"`);
  return name;
}

function upstream(what: string, error: unknown): ApiError {
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError('bad_gateway', `cache: cannot ${what}: ${message}`);
}

export class CacheRepoSource implements RepoSource {
  private readonly known = new Set<string>();
  private readonly client: CacheClient;

  constructor(options: { baseUrl: string; token: string }) {
    this.client = new CacheClient({
      baseUrl: options.baseUrl,
      token: options.token,
      userAgent: 'sparkwing-controller',
    });
  }

  async ensureMirror(fullName: string, cloneUrl: string): Promise<void> {
    if (this.known.has(cloneUrl)) return;
    try {
      await this.client.registerRepo(mirrorName(fullName), cloneUrl);
    } catch (error) {
      throw upstream(`register the mirror of ${fullName}`, error);
    }
    this.known.add(cloneUrl);
  }

  async readConfig(cloneUrl: string, ref: string): Promise<string | null> {
    try {
      return (await this.client.file(cloneUrl, ref, CONFIG_PATH)).toString('utf8');
    } catch (error) {
      if (error instanceof ClientError && error.status === 404 && /no file/.test(error.message)) return null;
      throw upstream(`read ${CONFIG_PATH} at ${ref}`, error);
    }
  }

  async changedFiles(cloneUrl: string, base: string, head: string): Promise<string[] | null> {
    try {
      const answer = await this.client.changes(cloneUrl, base, head);
      return answer.truncated ? null : answer.files;
    } catch {
      // Unknown changes never hide a run: paths filters treat null as "may match".
      return null;
    }
  }
}

/** No cache configured: event-driven triggering cannot read sparkwing.yaml. */
export const unavailableRepoSource: RepoSource = {
  ensureMirror: () =>
    Promise.reject(new ApiError('unavailable', 'SPARKWING_CACHE_URL is not set: cannot read sparkwing.yaml')),
  readConfig: () => Promise.reject(new ApiError('unavailable', 'SPARKWING_CACHE_URL is not set')),
  changedFiles: () => Promise.resolve(null),
};
