import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Compiled pipelines are named by their content: `sha256-<64 hex>`. */
export const BUNDLE_DIGEST_RE = /^sha256-[0-9a-f]{64}$/;
export const bundleDigestSchema = z.string().regex(BUNDLE_DIGEST_RE, 'must be sha256-<64 lowercase hex>');

export function isBundleDigest(value: string): boolean {
  return BUNDLE_DIGEST_RE.test(value);
}

/** The digest naming `content` in the cache's `/bin` store. */
export function bundleDigest(content: Uint8Array): string {
  return `sha256-${createHash('sha256').update(content).digest('hex')}`;
}
