import { CacheClient, type ClientError, ControllerClient, LogsClient } from '@sparkwing/client';
import { resolveProfile } from '../profiles/resolve.js';
import { profilesPath } from '../profiles/store.js';

/** Where a command's runs live: the local store ($SPARKWING_HOME) or a controller named by a profile. */
export interface Backend {
  /** `local` or `profile <name> (<url>)`, for messages. */
  label: string;
  controller: ControllerClient;
  logs: LogsClient;
  /** Null in local mode (no cache) or when neither the controller nor the profile names one. */
  cacheUrl: string | null;
  token: string;
  close(): Promise<void>;
}

export interface BackendOptions {
  configDir: string;
  home: string;
  /** `--profile`. */
  profile?: string;
  /** Where `.sparkwing/sparkwing.yaml` (defaults.profile) is looked up. */
  dir: string;
  /** Remote commands (pipeline trigger) need a profile; runs commands fall back to the local store. */
  requireRemote: boolean;
  /** Runs commands use the project/profile defaults only when asked for a remote (`--profile`). */
  useDefaults: boolean;
}

/** A ClientError raised before any run is addressed: unreachable controller, bad token, missing profile. */
export class RemoteSetupError extends Error {}

export async function openBackend(options: BackendOptions): Promise<Backend> {
  const path = profilesPath(options.configDir);
  const resolved =
    options.profile || options.useDefaults ? resolveProfile(path, options.profile, options.dir) : null;
  if (!resolved) {
    if (options.requireRemote) {
      throw new RemoteSetupError(
        `no profile chosen: pass --profile NAME, set defaults.profile in .sparkwing/sparkwing.yaml, or run: sparkwing profile use NAME (profiles in ${path})`,
      );
    }
    // The running dashboard when there is one, else the store opened in this process.
    const { connectLocal } = await import('../local/connect.js');
    const local = await connectLocal(options.home, { sweep: false });
    return {
      label: `local (${options.home})`,
      controller: local.controller,
      logs: new LogsClient({ baseUrl: local.logsUrl, token: local.adminToken, fetch: local.logsFetch }),
      cacheUrl: null,
      token: local.adminToken,
      close: () => local.close(),
    };
  }
  const { profile, name } = resolved;
  const controller = new ControllerClient({
    baseUrl: profile.controller.url,
    token: profile.controller.token,
    userAgent: 'sparkwing-cli',
  });
  let health: Awaited<ReturnType<ControllerClient['health']>>;
  try {
    health = await controller.health();
  } catch (error) {
    throw new RemoteSetupError(
      `cannot reach the controller of profile "${name}" at ${profile.controller.url}: ${(error as Error).message}`,
    );
  }
  const logsUrl = profile.logs?.url ?? health.logs_url ?? null;
  return {
    label: `profile ${name} (${profile.controller.url})`,
    controller,
    logs: new LogsClient({
      baseUrl: logsUrl ?? profile.controller.url,
      token: profile.controller.token,
      userAgent: 'sparkwing-cli',
    }),
    cacheUrl: profile.cache?.url ?? health.cache_url ?? null,
    token: profile.controller.token,
    close: async () => {},
  };
}

export function cacheClient(backend: Backend): CacheClient {
  if (!backend.cacheUrl) {
    throw new RemoteSetupError(
      `${backend.label} reports no cache_url (set SPARKWING_CACHE_URL on the controller, or cache: {url} in the profile)`,
    );
  }
  return new CacheClient({ baseUrl: backend.cacheUrl, token: backend.token, userAgent: 'sparkwing-cli' });
}

/** One readable line for a failed API call; 403 keeps the controller's message (it names the missing scope). */
export function describeClientError(
  error: ClientError,
  backend: { label: string },
  subject?: string,
): string {
  if (error.status === 0) return `cannot reach ${backend.label}: ${error.message}`;
  if (error.status === 401)
    return `${backend.label} rejected the token (401 ${error.code}): check the profile's token`;
  if (error.status === 403) return `permission denied by ${backend.label}: ${error.message}`;
  if (error.status === 404 && subject) return `unknown ${subject} (${backend.label})`;
  return `${backend.label}: ${error.status} ${error.code}: ${error.message}`;
}
