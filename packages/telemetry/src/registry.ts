import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Labels of the shared HTTP families; values are route templates, never raw paths. */
export const HTTP_LABELS = { route: 'route', method: 'method', status: 'status' } as const;

export interface HttpMetrics {
  requests: Counter<'route' | 'method' | 'status'>;
  duration: Histogram<'route' | 'method'>;
}

export interface ServiceRegistry {
  registry: Registry;
  http: HttpMetrics;
}

/**
 * A fresh registry per service (never prom-client's global one) holding the shared HTTP families.
 * `defaultMetrics` adds process metrics; tests that build many apps leave it off.
 */
export function createServiceRegistry(
  service: string,
  options: { defaultMetrics?: boolean } = {},
): ServiceRegistry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'sparkwing_' });
  const requests = new Counter({
    name: 'sparkwing_http_requests_total',
    help: 'HTTP requests by route template, method and status',
    labelNames: [HTTP_LABELS.route, HTTP_LABELS.method, HTTP_LABELS.status],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'sparkwing_http_request_duration_seconds',
    help: 'HTTP request latency by route template and method',
    labelNames: [HTTP_LABELS.route, HTTP_LABELS.method],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return { registry, http: { requests, duration } };
}
