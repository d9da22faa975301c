import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is e2e/observability/lib/paths.ts). */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const repoPath = (...parts: string[]) => join(REPO, ...parts);
