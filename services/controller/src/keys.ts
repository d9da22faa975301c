import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Returns `given` if set, else the key stored in `<dir>/<file>`, else a new random key written there with
 * mode 0600 (created exclusively so two processes starting together agree on one key).
 */
export function loadOrCreateKey(dir: string, file: string, given?: string): string {
  if (given) return given;
  const path = join(dir, file);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return readFileSync(path, 'utf8').trim();
}

export const KEY_FILES = {
  adminToken: 'admin-token',
  signingKey: 'signing-key',
  secretKey: 'secret-key',
} as const;
