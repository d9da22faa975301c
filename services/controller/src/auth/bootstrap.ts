import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@sparkwing/telemetry';
import { KEY_FILES } from '../keys.js';
import { generateApiToken } from './token-hash.js';
import type { TokenStore } from './token-store.js';

/**
 * Makes sure an admin token exists. A seed token (`SPARKWING_ADMIN_TOKEN`) is stored if it is not yet;
 * with no admin token stored and no seed, one is generated into `<dataDir>/admin-token` (mode 0600).
 * Returns the admin token this process knows (seed or file), or null if it was created elsewhere.
 */
export function ensureAdminToken(
  store: TokenStore,
  dataDir: string,
  logger: Logger,
  seed?: string,
): string | null {
  const file = join(dataDir, KEY_FILES.adminToken);
  if (seed) {
    if (!store.isStored(seed)) {
      store.create({ name: 'admin (seed)', kind: 'user', scopes: ['admin'] }, seed);
      logger.info('admin token stored from SPARKWING_ADMIN_TOKEN');
    }
    return seed;
  }
  if (!store.hasAdmin()) {
    const token = generateApiToken();
    store.create({ name: 'admin (generated)', kind: 'user', scopes: ['admin'] }, token);
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    logger.info('admin token generated', { path: file });
    return token;
  }
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

/**
 * Stores a seed runner token (`SPARKWING_RUNNER_TOKEN`, shared with the warm pool and dispatched workers
 * through one Secret) with the one scope runners need, `nodes.claim`: everything a node does within its run
 * goes with that node's token. A seed stored by an older version with more scopes is narrowed.
 */
export function ensureRunnerToken(store: TokenStore, logger: Logger, seed: string): void {
  if (store.isStored(seed)) {
    if (store.narrowScopes(seed, ['nodes.claim'])) logger.info('runner token narrowed to scope nodes.claim');
    return;
  }
  store.create({ name: 'runner (seed)', kind: 'runner', scopes: ['nodes.claim'] }, seed);
  logger.info('runner token stored from SPARKWING_RUNNER_TOKEN');
}

/** File holding the token the controller shows the cache (mirror registration, sparkwing.yaml reads). */
export const CACHE_TOKEN_FILE = 'cache-token';

/**
 * The controller's own service token for the cache: generated once into `<dataDir>/cache-token` (0600)
 * and stored hashed, so the cache's introspection accepts it across restarts.
 */
export function ensureCacheToken(store: TokenStore, dataDir: string, logger: Logger): string {
  const file = join(dataDir, CACHE_TOKEN_FILE);
  if (!existsSync(file)) {
    try {
      writeFileSync(file, `${generateApiToken()}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const token = readFileSync(file, 'utf8').trim();
  if (!store.isStored(token)) {
    store.create(
      { name: 'controller (cache access)', kind: 'service', scopes: ['runs.read', 'runs.write'] },
      token,
    );
    logger.info('cache access token stored', { path: file });
  }
  return token;
}
