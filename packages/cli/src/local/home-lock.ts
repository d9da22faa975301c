import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const STALE_MS = 30_000;
const TIMEOUT_MS = 20_000;

/**
 * Runs `fn` while holding `<home>/.open.lock`, so processes opening a fresh home at the same time do not
 * race the database migrations. A lock older than 30 s is left over from a crash and is taken over.
 */
export async function withHomeLock<T>(home: string, fn: () => T): Promise<T> {
  const path = join(home, '.open.lock');
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    try {
      closeSync(openSync(path, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true });
      } catch {
        // Removed by its holder meanwhile.
      }
      if (Date.now() > deadline)
        throw new Error(`${path} is held by another sparkwing process; remove it if none is running`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  try {
    return fn();
  } finally {
    rmSync(path, { force: true });
  }
}
