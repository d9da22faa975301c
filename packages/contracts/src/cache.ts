import { z } from 'zod';
import { idSchema } from './ids.js';

/** Wire shapes of the cache service (docs/cache.md describes the routes around them). */

/** A full hex commit sha (sha1 or sha256 object format). */
export const commitShaSchema = z
  .string()
  .regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, 'must be a full hex commit sha');

/** Names a mirror is reachable under: `/git/{name}`; `repos` is reserved for the admin routes. */
export const mirrorNameSchema = idSchema.refine((name) => name !== 'repos', {
  message: '"repos" is reserved',
});

export const registerMirrorRequestSchema = z.strictObject({
  name: mirrorNameSchema,
  /** Anything `git clone` accepts: https://, ssh-less file paths in tests. */
  url: z.string().min(1).max(2048),
});
export type RegisterMirrorRequest = z.infer<typeof registerMirrorRequestSchema>;

export const mirrorInfoSchema = z.object({
  name: z.string(),
  url: z.string(),
  registered_at: z.string(),
  last_fetch_at: z.string().nullable(),
  last_success_at: z.string().nullable(),
  /** The last fetch's error; null once a fetch succeeds again. */
  last_error: z.string().nullable(),
  consecutive_failures: z.number().int(),
  /** When the background loop will try this mirror next (backoff after failures). */
  next_fetch_at: z.string().nullable(),
});
export type MirrorInfo = z.infer<typeof mirrorInfoSchema>;
export const mirrorListSchema = z.object({ repos: z.array(mirrorInfoSchema) });
export const mirrorResponseSchema = z.object({ repo: mirrorInfoSchema });

/** `GET /changes`: files changed on `head` since it diverged from `base` (merge-base diff). */
export const changesQuerySchema = z.strictObject({
  repo: z.string().min(1).max(2048),
  base: z.string().min(1).max(256),
  head: z.string().min(1).max(256),
});
export const changesResponseSchema = z.object({
  base: commitShaSchema,
  head: commitShaSchema,
  files: z.array(z.string()),
  /** True when more than the limit changed: the list is cut and filters should treat it as unknown. */
  truncated: z.boolean(),
});
export type ChangesResponse = z.infer<typeof changesResponseSchema>;

/** Upload refs are content addressed: `up_` + sha256 of the canonical tree listing (see docs/cache.md). */
export const UPLOAD_REF_RE = /^up_[0-9a-f]{64}$/;
export const uploadRefSchema = z.string().regex(UPLOAD_REF_RE, 'must look like up_<64 hex>');

export const negotiateRequestSchema = z.strictObject({
  /** Mirror name (or the URL it was registered with). */
  repo: z.string().min(1).max(2048),
  /** Candidate commits, newest first (e.g. `git rev-list --max-count=64 HEAD`). */
  commits: z.array(commitShaSchema).max(1000),
});
export type NegotiateRequest = z.infer<typeof negotiateRequestSchema>;
export const negotiateResponseSchema = z.object({
  /** The first of `commits` the mirror has (usable as `base`), or null: upload the whole tree. */
  commit: commitShaSchema.nullable(),
});
export type NegotiateResponse = z.infer<typeof negotiateResponseSchema>;

/** `POST /upload` query: `base` is a commit of `repo`'s mirror or an earlier upload ref. */
export const uploadQuerySchema = z.strictObject({
  repo: z.string().min(1).max(2048).optional(),
  base: z.union([commitShaSchema, uploadRefSchema]).optional(),
});
export type UploadQuery = z.infer<typeof uploadQuerySchema>;
export const uploadResponseSchema = z.object({
  upload_ref: uploadRefSchema,
  /** Bytes of the stored full-tree tarball. */
  size: z.number().int(),
  files: z.number().int(),
});
export type UploadResponse = z.infer<typeof uploadResponseSchema>;

/** Name of the deletions manifest inside a delta tarball: one relative path per line. */
export const DELETIONS_MANIFEST = '.sparkwing-deletions';

/** Keys of `/bin/{key}` and `/cache/{key}`: one path segment, no `..`. */
export const BLOB_KEY_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;
export function isBlobKey(key: string): boolean {
  return BLOB_KEY_RE.test(key) && !key.includes('..');
}

export const artifactInfoSchema = z.object({
  path: z.string(),
  size: z.number().int(),
  modified_at: z.string(),
});
export const artifactListSchema = z.object({ run_id: z.string(), artifacts: z.array(artifactInfoSchema) });
export type ArtifactList = z.infer<typeof artifactListSchema>;

export const PROXY_REGISTRIES = ['npm', 'pypi', 'golang', 'rubygems', 'alpine'] as const;
export const proxyRegistrySchema = z.enum(PROXY_REGISTRIES);
export type ProxyRegistry = z.infer<typeof proxyRegistrySchema>;

/** `X-Cache` values of the package proxy (also the `result` label of sparkwing_proxy_requests_total). */
export const PROXY_RESULTS = ['hit', 'miss', 'stale', 'error'] as const;
export type ProxyResult = (typeof PROXY_RESULTS)[number];

/** Stores the cache accounts bytes and evictions for (label `store`). */
export const CACHE_STORES = ['git', 'uploads', 'archives', 'bin', 'cache', 'artifacts', 'proxy'] as const;
export type CacheStore = (typeof CACHE_STORES)[number];
