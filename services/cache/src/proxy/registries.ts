import { ApiError, type ProxyRegistry } from '@sparkwing/contracts';

/**
 * Immutable artifacts (kept until eviction) versus metadata (re-fetched after the TTL), per registry.
 * Everything not recognised as an artifact is treated as metadata: the safe default.
 */
export function isImmutable(registry: ProxyRegistry, path: string): boolean {
  switch (registry) {
    case 'npm':
      return /\/-\/[^/]+\.tgz$/.test(path);
    case 'pypi':
      return /\.(whl|tar\.gz|zip|tar\.bz2|egg)$/.test(path) && !path.startsWith('/simple/');
    case 'golang':
      return /\/@v\/[^/]+\.(zip|mod|info)$/.test(path);
    case 'rubygems':
      return /^\/gems\/[^/]+\.gem$/.test(path) || /^\/quick\/Marshal\.4\.8\/[^/]+\.gemspec\.rz$/.test(path);
    case 'alpine':
      return /\.apk$/.test(path);
  }
}

/** The raw (still percent-encoded) path after `/proxy/<registry>`, refused when it could climb out. */
export function proxyPathOrThrow(raw: string): string {
  const path = raw === '' ? '/' : raw;
  if (!path.startsWith('/')) throw new ApiError('bad_request', 'proxy path must start with "/"');
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new ApiError('bad_request', 'proxy path is not valid percent-encoding');
  }
  if (decoded.includes('\0') || decoded.includes('\\'))
    throw new ApiError('bad_request', 'proxy path contains NUL or "\\"');
  if (decoded.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw new ApiError('bad_request', 'proxy path contains "." or ".." segments');
  }
  if (path.length > 2048) throw new ApiError('bad_request', 'proxy path longer than 2048 characters');
  return path;
}

/**
 * Points every `versions[*].dist.tarball` of an npm packument at the proxy, so installs fetch tarballs through
 * the cache too. URLs that are not on the upstream stay as they are.
 */
export function rewriteNpmPackument(body: Buffer, upstream: string, proxyBase: string): Buffer {
  let doc: { versions?: Record<string, { dist?: { tarball?: string } }> };
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return body;
  }
  if (!doc || typeof doc !== 'object' || !doc.versions) return body;
  const prefix = upstream.replace(/\/+$/, '');
  for (const version of Object.values(doc.versions)) {
    const tarball = version?.dist?.tarball;
    if (typeof tarball === 'string' && tarball.startsWith(`${prefix}/`)) {
      version.dist!.tarball = `${proxyBase}${tarball.slice(prefix.length)}`;
    }
  }
  return Buffer.from(JSON.stringify(doc));
}

/** `/proxy/pypi/files/…` is the file host PyPI's simple pages link to, not the index itself. */
export const PYPI_FILES_PREFIX = '/files';

/** The upstream URL of a proxy path (without the query). */
export function upstreamUrl(
  registry: ProxyRegistry,
  path: string,
  upstreams: Record<ProxyRegistry, string>,
  pypiFiles: string,
): string {
  if (registry === 'pypi' && path.startsWith(`${PYPI_FILES_PREFIX}/`)) {
    return `${pypiFiles.replace(/\/+$/, '')}${path.slice(PYPI_FILES_PREFIX.length)}`;
  }
  return `${upstreams[registry].replace(/\/+$/, '')}${path}`;
}

/** Points links to PyPI's file host in simple pages (HTML or JSON) at `/proxy/pypi/files/`. */
export function rewritePypiLinks(body: Buffer, filesUpstream: string, proxyBase: string): Buffer {
  const prefix = `${filesUpstream.replace(/\/+$/, '')}/`;
  const text = body.toString('utf8');
  return text.includes(prefix) ? Buffer.from(text.split(prefix).join(`${proxyBase}/`)) : body;
}
