import { createServiceRegistry, type ServiceRegistry } from '@sparkwing/telemetry';
import { Counter, Gauge, Histogram } from 'prom-client';

/** Typed label values so nothing request-derived becomes a label. */
export const UPSTREAMS = { controller: 'controller', logs: 'logs' } as const;
export type UpstreamName = (typeof UPSTREAMS)[keyof typeof UPSTREAMS];
export const STATIC_KINDS = { page: 'page', asset: 'asset' } as const;
export type StaticKind = (typeof STATIC_KINDS)[keyof typeof STATIC_KINDS];
export const SIGN_IN_OUTCOMES = { ok: 'ok', rejected: 'rejected', error: 'error' } as const;
export type SignInOutcome = (typeof SIGN_IN_OUTCOMES)[keyof typeof SIGN_IN_OUTCOMES];

export interface WebMetrics extends ServiceRegistry {
  staticRequests: Counter<'kind' | 'status'>;
  proxyRequests: Counter<'upstream' | 'status'>;
  proxyDuration: Histogram<'upstream' | 'status'>;
  activeSse: Gauge<'upstream'>;
  signIns: Counter<'outcome'>;
  activeSessions: Gauge;
}

/** The dashboard's own registry: shared HTTP families plus `sparkwing_web_…`. */
export function createWebMetrics(options: { defaultMetrics?: boolean } = {}): WebMetrics {
  const base = createServiceRegistry('web', options);
  const registers = [base.registry];
  return {
    ...base,
    staticRequests: new Counter({
      name: 'sparkwing_web_static_requests_total',
      help: 'Browser app requests by kind (page = HTML shell, asset = bundled file) and status',
      labelNames: ['kind', 'status'],
      registers,
    }),
    proxyRequests: new Counter({
      name: 'sparkwing_web_proxy_requests_total',
      help: 'Requests proxied to an upstream service by upstream and response status (0 = unreachable)',
      labelNames: ['upstream', 'status'],
      registers,
    }),
    proxyDuration: new Histogram({
      name: 'sparkwing_web_proxy_request_duration_seconds',
      help: 'Time until the upstream answered with headers, by upstream and status',
      labelNames: ['upstream', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    activeSse: new Gauge({
      name: 'sparkwing_web_active_sse_proxies',
      help: 'Server-sent event streams currently relayed to browsers',
      labelNames: ['upstream'],
      registers,
    }),
    signIns: new Counter({
      name: 'sparkwing_web_sign_ins_total',
      help: 'Sign-in attempts by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    activeSessions: new Gauge({
      name: 'sparkwing_web_active_sessions',
      help: 'Signed-in sessions that have not expired',
      registers,
    }),
  };
}
