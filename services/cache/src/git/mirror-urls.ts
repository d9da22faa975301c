import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ApiError } from '@sparkwing/contracts';

/**
 * Addresses a mirror must never point at unless an operator allow-lists them: loopback, private, link-local
 * (cloud metadata), carrier-grade NAT, multicast and reserved ranges. Fetching them from inside the cluster
 * would be server-side request forgery.
 */
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv6');

/** True for an address a mirror may not reach (IPv4-mapped IPv6 checked as IPv4). */
export function isBlockedAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return BLOCKED.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export type ResolveHost = (host: string) => Promise<string[]>;

const systemResolve: ResolveHost = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

export interface MirrorUrlPolicyOptions {
  /**
   * Operator allow-list (`SPARKWING_MIRROR_ALLOWLIST`): URL or absolute-path prefixes accepted as they are,
   * `http://`, loopback and local paths included. Empty in production.
   */
  allow: readonly string[];
  resolve?: ResolveHost;
}

export type MirrorUrlPolicy = ReturnType<typeof createMirrorUrlPolicy>;

function refuse(url: string, why: string): never {
  throw new ApiError('validation_failed', `mirror url "${url.slice(0, 200)}" is not allowed: ${why}`);
}

/** Matches a prefix on a path boundary, so `/srv/git` allows `/srv/git/a.git` but not `/srv/gitx`. */
function allowedBy(url: string, prefix: string): boolean {
  if (url === prefix) return true;
  return url.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

/** Which URLs `POST /git/repos` may register: `https://` to public addresses, or an allow-listed prefix. */
export function createMirrorUrlPolicy(options: MirrorUrlPolicyOptions) {
  const resolve = options.resolve ?? systemResolve;
  return {
    /** Returns the URL to clone, or throws 400 naming why it is refused. */
    async check(url: string): Promise<string> {
      if (/[\0\s]/.test(url)) refuse(url, 'it contains whitespace or NUL');
      if (url.includes('..')) refuse(url, 'it contains ".."');
      if (options.allow.some((prefix) => allowedBy(url, prefix))) return url;
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        refuse(url, 'only https:// URLs are accepted (local paths need the operator allow-list)');
      }
      if (parsed.protocol !== 'https:')
        refuse(
          url,
          `only https:// is accepted, not ${parsed.protocol} (http:// needs the operator allow-list)`,
        );
      const host = parsed.hostname.replace(/^\[|\]$/g, '');
      if (!host) refuse(url, 'it names no host');
      let addresses: string[];
      if (isIP(host)) addresses = [host];
      else {
        try {
          addresses = await resolve(host);
        } catch (error) {
          refuse(url, `host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      }
      if (addresses.length === 0) refuse(url, `host ${host} does not resolve`);
      const blocked = addresses.find(isBlockedAddress);
      if (blocked)
        refuse(
          url,
          `${host} is a loopback, private or link-local address (${blocked}); allow-list it to mirror it`,
        );
      return url;
    },
  };
}
