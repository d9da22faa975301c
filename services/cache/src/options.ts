import type { CacheConfig } from './config.js';
import type { CacheServiceOptions } from './service.js';

/** Maps parsed env config onto the service factory's options. */
export function serviceOptionsFromConfig(config: CacheConfig): CacheServiceOptions {
  return {
    dataDir: config.SPARKWING_DATA_DIR,
    controllerUrl: config.SPARKWING_CONTROLLER_URL,
    signingKey: config.SPARKWING_SIGNING_KEY,
    serviceToken: config.SPARKWING_CACHE_TOKEN,
    mirrorAllowlist: config.SPARKWING_MIRROR_ALLOWLIST,
    fetchIntervalMs: config.SPARKWING_FETCH_INTERVAL,
    maxBytes: config.SPARKWING_CACHE_MAX_BYTES,
    blobMaxBytes: config.SPARKWING_BLOB_MAX_BYTES,
    uploadMaxBytes: config.SPARKWING_UPLOAD_MAX_BYTES,
    uploadProtectMs: config.SPARKWING_UPLOAD_PROTECT,
    metadataTtlMs: config.SPARKWING_PROXY_METADATA_TTL,
    pypiFilesUpstream: config.SPARKWING_PROXY_UPSTREAM_PYPI_FILES,
    upstreams: {
      npm: config.SPARKWING_PROXY_UPSTREAM_NPM,
      pypi: config.SPARKWING_PROXY_UPSTREAM_PYPI,
      golang: config.SPARKWING_PROXY_UPSTREAM_GOLANG,
      rubygems: config.SPARKWING_PROXY_UPSTREAM_RUBYGEMS,
      alpine: config.SPARKWING_PROXY_UPSTREAM_ALPINE,
    },
  };
}
