import { CacheClient, ControllerClient, LogShipper } from '@sparkwing/client';
import type { BinCache } from './bundle.js';
import type { ShipperFactory } from './shipper.js';

/** A log shipper factory for a logs service reachable over HTTP. */
export function httpShipperFactory(logsUrl: string): ShipperFactory {
  return ({ runId, nodeId, token }) => new LogShipper({ baseUrl: logsUrl, runId, nodeId, token });
}

export function binCacheOf(cache: CacheClient | undefined): BinCache | undefined {
  if (!cache) return undefined;
  return { get: (key) => cache.getBin(key), put: (key, body) => cache.putBin(key, body) };
}

export function clients(options: { controllerUrl: string; cacheUrl?: string; token?: string }) {
  const controller = new ControllerClient({
    baseUrl: options.controllerUrl,
    token: options.token,
    userAgent: 'sparkwing-runner',
  });
  const cache = options.cacheUrl
    ? new CacheClient({ baseUrl: options.cacheUrl, token: options.token })
    : undefined;
  return { controller, cache };
}
