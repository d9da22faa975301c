import { ApiError, proxyRegistrySchema } from '@sparkwing/contracts';
import { Hono } from 'hono';
import type { CacheDeps } from '../deps.js';
import { proxyPathOrThrow } from '../proxy/registries.js';

/** `GET|HEAD /proxy/{registry}/…`: open to the cluster (network policy decides who reaches it). */
export function proxyRoutes(deps: CacheDeps) {
  return new Hono().on(['GET', 'HEAD'], '/proxy/:registry/*', (c) => {
    const parsed = proxyRegistrySchema.safeParse(c.req.param('registry'));
    if (!parsed.success) throw new ApiError('not_found', `unknown registry "${c.req.param('registry')}"`);
    const url = new URL(c.req.url);
    const prefix = `/proxy/${parsed.data}`;
    const path = proxyPathOrThrow(url.pathname.slice(prefix.length));
    return deps.proxy.handle({
      registry: parsed.data,
      path,
      search: url.search,
      head: c.req.method === 'HEAD',
      origin: url.origin,
    });
  });
}
