import { durationSetting as duration } from '@sparkwing/contracts';
import { z } from 'zod';

const bytes = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const configSchema = z.object({
  /** Listening port; 0 picks a free one (logged as `{"msg":"listening","port":N}`). */
  PORT: z.coerce.number().int().min(0).max(65_535).default(8090),
  /** Interface to bind. */
  HOST: z.string().default('0.0.0.0'),
  /** Root of mirrors, uploads, archives, blobs and proxy entries (a PVC in the cluster). */
  SPARKWING_DATA_DIR: z.string().min(1).default('/data'),
  /** Controller base URL: token introspection and the non-terminal runs eviction must keep. */
  SPARKWING_CONTROLLER_URL: z.string().url().optional(),
  /** HMAC key shared with the controller so node tokens verify offline. */
  SPARKWING_SIGNING_KEY: z.string().min(16).optional(),
  /** Token (scope runs.read) the cache shows the controller to list queued/running runs. */
  SPARKWING_CACHE_TOKEN: z.string().min(1).optional(),
  /**
   * Comma-separated URL or absolute-path prefixes mirrors may be registered from although they are not
   * `https://` to a public address (an internal git server, `http://`, local paths in tests). Empty = none.
   */
  SPARKWING_MIRROR_ALLOWLIST: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry.length > 0),
    ),
  /** Background fetch period of every mirror. */
  SPARKWING_FETCH_INTERVAL: duration('30s'),
  /** Eviction budget over everything under the data dir. */
  SPARKWING_CACHE_MAX_BYTES: bytes(50 * 1024 ** 3),
  /** Largest single blob (`/bin`, `/cache`, artifact) accepted. */
  SPARKWING_BLOB_MAX_BYTES: bytes(2 * 1024 ** 3),
  /** Largest upload tarball accepted. */
  SPARKWING_UPLOAD_MAX_BYTES: bytes(1024 ** 3),
  /** Uploads younger than this are never evicted (a run may be about to download them). */
  SPARKWING_UPLOAD_PROTECT: duration('6h'),
  /** How long package metadata (npm packuments, simple indexes…) is served without revalidating. */
  SPARKWING_PROXY_METADATA_TTL: duration('5m'),
  /** Upstream of `/proxy/npm/`. */
  SPARKWING_PROXY_UPSTREAM_NPM: z.string().url().default('https://registry.npmjs.org'),
  /** Upstream of `/proxy/pypi/`. */
  SPARKWING_PROXY_UPSTREAM_PYPI: z.string().url().default('https://pypi.org'),
  /** File host PyPI's simple pages link to; served as `/proxy/pypi/files/`. */
  SPARKWING_PROXY_UPSTREAM_PYPI_FILES: z.string().url().default('https://files.pythonhosted.org'),
  /** Upstream of `/proxy/golang/` (a GOPROXY). */
  SPARKWING_PROXY_UPSTREAM_GOLANG: z.string().url().default('https://proxy.golang.org'),
  /** Upstream of `/proxy/rubygems/`. */
  SPARKWING_PROXY_UPSTREAM_RUBYGEMS: z.string().url().default('https://rubygems.org'),
  /** Upstream of `/proxy/alpine/`. */
  SPARKWING_PROXY_UPSTREAM_ALPINE: z.string().url().default('https://dl-cdn.alpinelinux.org/alpine'),
  /** Log level of the JSON logger. */
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** OTLP/HTTP endpoint for traces and logs; nothing is exported when unset. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
});
export type CacheConfig = z.infer<typeof configSchema>;
